#pragma once
// exportNsiPagingItem (nsi-common, ISRequestHeader, base:version 10.0.1.2): the one place reading
// GIS dictionaries (NSI), page by page (1000 elements a page): each answer lists its elements as
// "code=GUID name" lines in the exchange result (the report job shows them), which is where the
// NSI 2 references of `nsi_resources` come from; a page that is not the last one queues the next.

#include <string>

#include "operation.h"

namespace hub::adapters::gis_zhkh {

BuiltRequest build_export_nsi_page(int registry, int page);

Handled handle_export_nsi_page(const ResultInput& in);

}  // namespace hub::adapters::gis_zhkh

#pragma once
// exportOrgRegistry (organizations-registry-common, ISRequestHeader, base:version 10.0.2.1): the
// one place mapping an organisation's OGRN (or OGRNIP) to its registry entry — above all its
// orgPPAGUID, which every RequestHeader needs. The job org_registry asks for the configured
// `org_ogrn` list; the result (OGRN → orgPPAGUID, orgRootEntityGUID) is the exchange's result
// summary and a log line, shown by the report job.

#include <string>
#include <vector>

#include "operation.h"

namespace hub::adapters::gis_zhkh {

inline constexpr std::size_t kOrgSearchLimit = 100;

/// 13 digits: OGRN, 15: OGRNIP; anything else is refused naming the value.
BuiltRequest build_export_org_registry(const std::vector<std::string>& ogrns,
                                       std::vector<Refused>& refused);

Handled handle_export_org_registry(const ResultInput& in);

}  // namespace hub::adapters::gis_zhkh

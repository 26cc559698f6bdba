#pragma once
// exportAppeal (appeals, base:version 14.8.0.1): the one place where residents' appeals filed in
// GIS become ticket.created.
//
// Request: appeals created between `from` and `to` (StartDate / EndDate).
// ExportAppealResult → ticket.created: channel gis; topic = AppealTopic/Name or AnotherTopic
//   ("Обращение в ГИС ЖКХ" when neither); text = AppealText; externalId = AppealNumber (or
//   AppealGUID); houseFiasGuid = FIASHouseGuid; submittedAt = AppealCreateDate (midnight UTC);
//   applicant/name = Surname FirstName Patronymic of the person. The idempotency key is the
//   AppealGUID, so an appeal exported again is not a second ticket.

#include <string>

#include "operation.h"

namespace hub::adapters::gis_zhkh {

/// `from` / `to` are YYYY-MM-DD.
BuiltRequest build_export_appeals(const std::string& from, const std::string& to);

Handled handle_export_appeals(const ResultInput& in);

}  // namespace hub::adapters::gis_zhkh

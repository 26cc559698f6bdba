#pragma once
// The envelope's XML wire form (schemas/canonical/envelope.xsd, namespace urn:zhkh-hub:envelope:1)
// used for files, SOAP and exports:
//   <e:envelope xmlns:e="urn:zhkh-hub:envelope:1" id=".." type=".." schemaVersion="1" source=".."
//               occurredAt="2026-01-01T00:00:00Z" correlationId=".." causationId=".."
//               idempotencyKey="..">
//     <e:header name="k">v</e:header>*
//     <e:body> canonical element </e:body>
//   </e:envelope>

#include <string>

#include "hub/core/envelope.h"
#include "hub/xml/document.h"

namespace hub::xml {

std::string envelope_to_xml(const Envelope& e);
/// Reads an envelope document; throws XmlError naming the missing or malformed part. The body comes
/// back as libxml2's serialization of the one element inside e:body, with the namespaces it uses
/// declared on it (comments or processing instructions around that element are not kept).
Envelope envelope_from_xml(const Document& doc);

/// ISO-8601 UTC with milliseconds ("2026-11-23T08:55:39.123Z") and back.
std::string format_timestamp(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point parse_timestamp(const std::string& text);

}  // namespace hub::xml

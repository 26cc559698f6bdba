#include "hub/xml/escape.h"

#include "hub/plugin/text_escape.h"

namespace hub::xml {

std::string escape_xml(const std::string& s, bool attribute) {
  return plugin::xml_escaped(s, attribute);
}

}  // namespace hub::xml

#include "ingress_fixture.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hub::testing {

std::string sample_body(const std::string& type) {
  const auto path = source_dir() / "schemas/canonical/samples" / (type + ".xml");
  std::ifstream in(path);
  if (!in) throw std::runtime_error("missing sample " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace hub::testing

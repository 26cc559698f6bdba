#include "operations.h"

namespace hub::adapters::gis_zhkh::emulator {

void register_metering_operations(std::map<std::string, Handler>&) {}

}  // namespace hub::adapters::gis_zhkh::emulator

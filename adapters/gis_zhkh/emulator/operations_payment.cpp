#include "operations.h"

namespace hub::adapters::gis_zhkh::emulator {

void register_payment_operations(std::map<std::string, Handler>&) {}

}  // namespace hub::adapters::gis_zhkh::emulator

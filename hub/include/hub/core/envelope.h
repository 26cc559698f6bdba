#pragma once
// hub::Envelope is the SDK's plugin::Envelope: adapters and the hub share one type.

#include "hub/plugin/envelope.h"

namespace hub {
using plugin::Envelope;
}  // namespace hub

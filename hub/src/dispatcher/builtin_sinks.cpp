#include "hub/dispatcher/builtin_sinks.h"

namespace hub::dispatcher {

DeliveryResult LoggingSink::deliver(const Envelope& message) {
  CorrelationScope scope(message.correlation_id);
  log_.info("message_delivered", {{"type", message.type},
                                  {"id", message.id},
                                  {"source", message.source},
                                  {"body_bytes", std::to_string(message.body.size())}});
  return DeliveryResult::delivered();
}

void register_builtin_sinks(SinkRegistry& registry) {
  registry.add("noop", std::make_shared<NoopSink>());
  registry.add("log", std::make_shared<LoggingSink>("log"));
}

}  // namespace hub::dispatcher

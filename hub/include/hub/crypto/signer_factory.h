#pragma once
// The hub's implementation of the plugin SDK's SignerFactory (hub/plugin/signer.h) over
// hub::crypto: adapters get signers through Context::signers().

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "hub/plugin/signer.h"

namespace hub::crypto {

/// Opens each distinct key once: open() with the same options returns the same signer, so
/// adapter instances and worker threads share one loaded key. Thread-safe.
class HubSignerFactory : public plugin::SignerFactory {
 public:
  std::shared_ptr<plugin::Signer> open(const plugin::SignerOptions& options) override;
  plugin::SignatureCheck verify(std::string_view xml) const override;

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<plugin::Signer>> open_;
};

}  // namespace hub::crypto

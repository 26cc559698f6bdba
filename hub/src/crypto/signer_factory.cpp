#include "hub/crypto/signer_factory.h"

#include "hub/crypto/signing_key.h"
#include "hub/crypto/xml_signer.h"
#include "hub/crypto/xml_verifier.h"
#include "internal.h"

namespace hub::crypto {

namespace {

class SdkSigner : public plugin::Signer {
 public:
  explicit SdkSigner(std::unique_ptr<XmlSigner> signer) : signer_(std::move(signer)) {}
  std::string sign(std::string_view xml) override { return signer_->sign(xml, "request"); }
  std::string sign_document(xmlDoc* doc, std::string_view parsed_from) override {
    signer_->sign_document(doc, "request");
    if (!parsed_from.empty()) {
      if (auto spliced = detail::splice_signature(doc, parsed_from)) return std::move(*spliced);
    }
    return detail::serialize(doc, "request");
  }
  std::string profile() const override { return profile_name(signer_->profile()); }

 private:
  std::unique_ptr<XmlSigner> signer_;
};

}  // namespace

std::shared_ptr<plugin::Signer> HubSignerFactory::open(const plugin::SignerOptions& o) {
  const std::string key = o.profile + '\n' + o.key_file + '\n' + o.cert_file + '\n' + o.password +
                          '\n' + o.password_file;
  std::lock_guard lock(mu_);
  if (auto it = open_.find(key); it != open_.end()) return it->second;
  SigningKeyOptions options;
  options.profile = o.profile;
  options.key_file = o.key_file;
  options.cert_file = o.cert_file;
  options.password = o.password;
  options.password_file = o.password_file;
  auto signer = std::make_shared<SdkSigner>(XmlSigner::open(options));
  open_.emplace(key, signer);
  return signer;
}

plugin::SignatureCheck HubSignerFactory::verify(std::string_view xml) const {
  const auto r = verify_xml_signature(xml, "response");
  return plugin::SignatureCheck{r.ok, r.error, r.signer_subject};
}

}  // namespace hub::crypto

#pragma once
// A private key and its certificate, loaded once and shared read-only by signing threads.

#include <openssl/types.h>

#include <memory>
#include <string>

namespace hub::crypto {

/// The signature profiles the hub writes.
enum class Profile {
  kGost2012,  ///< XAdES-BES, GOST R 34.10-2012 / GOST R 34.11-2012 (256, or 512 for 512-bit keys)
  kRsa,       ///< XMLDSig RSA-SHA256 (same placement and XAdES shape), for stands without GOST
};

/// "gost2012" / "rsa".
const char* profile_name(Profile profile);

/// Where the key comes from.
///
/// `key_file` is a PEM private key (encrypted or not) or a PKCS#12 bundle (DER, any extension)
/// holding the key and usually the certificate. `cert_file` is a PEM or DER certificate; it may be
/// empty when the PKCS#12 bundle carries one. The password is taken from the first of `password`,
/// the first line of `password_file`, the environment variable `password_env` that is set.
struct SigningKeyOptions {
  std::string profile;  ///< "gost2012", "rsa", or empty: by the key's type
  std::string key_file;
  std::string cert_file;
  std::string password;
  std::string password_file;
  std::string password_env;
};

/// Parses "gost2012" (also "gost") / "rsa"; throws CryptoError naming the accepted values.
Profile parse_profile(const std::string& text);

class SigningKey {
 public:
  /// Loads key and certificate (loading the gost engine first when the profile is GOST or not
  /// given), checks that the certificate belongs to the key and that the key suits the profile.
  /// Throws CryptoError naming the file and the OpenSSL reason.
  static std::shared_ptr<const SigningKey> load(const SigningKeyOptions& options);

  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  Profile profile() const { return profile_; }
  EVP_PKEY* key() const { return key_; }
  X509* certificate() const { return cert_; }
  const std::string& certificate_der() const { return cert_der_; }
  /// X509IssuerName as GIS clients write it: RFC 2253 order, UTF-8, standard attribute names for
  /// CN/O/OU/L/ST/C/STREET/DC/UID and dotted OIDs for the rest (E, OGRN, INN, SNILS, ...).
  const std::string& issuer_name() const { return issuer_name_; }
  /// X509SerialNumber in decimal.
  const std::string& serial_decimal() const { return serial_decimal_; }
  /// The certificate subject, RFC 2253, for logs.
  const std::string& subject() const { return subject_; }

 private:
  SigningKey() = default;
  Profile profile_ = Profile::kGost2012;
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  std::string cert_der_;
  std::string issuer_name_;
  std::string serial_decimal_;
  std::string subject_;
};

/// Issuer name / decimal serial / subject of any certificate, formatted as SigningKey does.
std::string issuer_name_of(X509* cert);
std::string serial_decimal_of(X509* cert);
std::string subject_of(X509* cert);

}  // namespace hub::crypto

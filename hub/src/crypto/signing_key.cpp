#include "hub/crypto/signing_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "hub/crypto/crypto_error.h"
#include "hub/crypto/gost_engine.h"

namespace hub::crypto {

namespace {

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CryptoError(std::string("cannot read the ") + what + " file " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio memory_bio(const std::string& data) {
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

bool is_pem(const std::string& data) {
  return data.find("-----BEGIN ") != std::string::npos;
}

std::string resolve_password(const SigningKeyOptions& o) {
  if (!o.password.empty()) return o.password;
  if (!o.password_file.empty()) {
    std::string text = read_file(o.password_file, "password");
    const auto eol = text.find_first_of("\r\n");
    if (eol != std::string::npos) text.resize(eol);
    return text;
  }
  if (!o.password_env.empty()) {
    if (const char* v = std::getenv(o.password_env.c_str())) return v;
    throw CryptoError("the password variable " + o.password_env + " is not set");
  }
  return {};
}

// PEM callback: the password, or nothing (so that an encrypted key without one fails instead of
// prompting on the terminal).
int password_cb(char* buf, int size, int, void* u) {
  const auto* p = static_cast<const std::string*>(u);
  if (!p || p->empty() || static_cast<int>(p->size()) > size) return 0;
  p->copy(buf, p->size());
  return static_cast<int>(p->size());
}

X509* read_certificate(const std::string& data) {
  auto bio = memory_bio(data);
  X509* cert = is_pem(data) ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                            : d2i_X509_bio(bio.get(), nullptr);
  return cert;
}

bool rfc4514_name(int nid) {
  switch (nid) {
    case NID_commonName:
    case NID_localityName:
    case NID_stateOrProvinceName:
    case NID_organizationName:
    case NID_organizationalUnitName:
    case NID_countryName:
    case NID_streetAddress:
    case NID_domainComponent:
    case NID_userId:
      return true;
    default:
      return false;
  }
}

std::string escape_rdn_value(const std::string& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    const bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
                         c == ';' || c == '=' || (i == 0 && (c == '#' || c == ' ')) ||
                         (i + 1 == v.size() && c == ' ');
    if (special) out += '\\';
    out += c;
  }
  return out;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

}  // namespace

const char* profile_name(Profile profile) {
  return profile == Profile::kGost2012 ? "gost2012" : "rsa";
}

Profile parse_profile(const std::string& text) {
  if (text == "gost2012" || text == "gost") return Profile::kGost2012;
  if (text == "rsa") return Profile::kRsa;
  throw CryptoError("unknown signature profile '" + text + "' (expected gost2012 or rsa)");
}

std::string issuer_name_of(X509* cert) {
  const X509_NAME* name = X509_get_issuer_name(cert);
  std::string out;
  int previous_set = -1;
  for (int i = X509_NAME_entry_count(name) - 1; i >= 0; --i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(entry);
    const int nid = OBJ_obj2nid(obj);
    std::string key;
    if (rfc4514_name(nid)) {
      key = OBJ_nid2sn(nid);
    } else {
      char buf[128];
      OBJ_obj2txt(buf, sizeof buf, obj, 1);
      key = buf;
    }
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    std::string value = len > 0 ? std::string(reinterpret_cast<char*>(utf8), len) : std::string();
    OPENSSL_free(utf8);
    const int set = X509_NAME_ENTRY_set(entry);
    if (!out.empty()) out += set == previous_set ? "+" : ",";
    previous_set = set;
    out += key + "=" + escape_rdn_value(value);
  }
  return out;
}

std::string serial_decimal_of(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  if (!bn) return {};
  char* dec = BN_bn2dec(bn);
  std::string out = dec ? dec : "";
  OPENSSL_free(dec);
  BN_free(bn);
  return out;
}

std::string subject_of(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0,
                     XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bio_text(bio.get());
}

SigningKey::~SigningKey() {
  EVP_PKEY_free(key_);
  X509_free(cert_);
}

std::shared_ptr<const SigningKey> SigningKey::load(const SigningKeyOptions& o) {
  if (o.key_file.empty()) throw CryptoError("no key file given");
  std::optional<Profile> wanted;
  if (!o.profile.empty()) wanted = parse_profile(o.profile);
  // GOST keys decode only with the engine's ASN.1 methods registered; for RSA it is not needed.
  if (!wanted || *wanted == Profile::kGost2012) {
    if (wanted) {
      gost_engine();
    } else {
      gost_engine_available();
    }
  }
  drain_openssl_errors();

  std::shared_ptr<SigningKey> k(new SigningKey());
  const std::string password = resolve_password(o);
  const std::string key_data = read_file(o.key_file, "key");
  if (is_pem(key_data)) {
    auto bio = memory_bio(key_data);
    k->key_ = PEM_read_bio_PrivateKey(bio.get(), nullptr, password_cb,
                                      const_cast<std::string*>(&password));
    if (!k->key_) {
      throw CryptoError("cannot read the private key " + o.key_file +
                        (password.empty() ? " (no password given)" : "") + ": " +
                        drain_openssl_errors());
    }
    if (o.cert_file.empty()) k->cert_ = read_certificate(key_data);  // key and cert in one PEM
  } else {
    auto bio = memory_bio(key_data);
    PKCS12* p12 = d2i_PKCS12_bio(bio.get(), nullptr);
    if (p12) {
      EVP_PKEY* pkey = nullptr;
      X509* cert = nullptr;
      STACK_OF(X509)* ca = nullptr;
      const int ok = PKCS12_parse(p12, password.c_str(), &pkey, &cert, &ca);
      PKCS12_free(p12);
      sk_X509_pop_free(ca, X509_free);
      if (!ok || !pkey) {
        X509_free(cert);
        EVP_PKEY_free(pkey);
        throw CryptoError(
            "cannot open the PKCS#12 bundle " + o.key_file +
            " (wrong password, or a GOST key without the gost engine?): " + drain_openssl_errors());
      }
      k->key_ = pkey;
      k->cert_ = cert;
    } else {
      drain_openssl_errors();
      auto bio2 = memory_bio(key_data);
      k->key_ = d2i_PrivateKey_bio(bio2.get(), nullptr);
      if (!k->key_) {
        throw CryptoError("cannot read " + o.key_file +
                          ": neither a PEM key, a PKCS#12 bundle nor a DER private key: " +
                          drain_openssl_errors());
      }
    }
  }
  if (!o.cert_file.empty()) {
    X509_free(k->cert_);
    k->cert_ = read_certificate(read_file(o.cert_file, "certificate"));
    if (!k->cert_) {
      throw CryptoError("cannot read the certificate " + o.cert_file + ": " +
                        drain_openssl_errors());
    }
  }
  if (!k->cert_) {
    throw CryptoError("no certificate: give one (--cert) or a PKCS#12 bundle that holds it (" +
                      o.key_file + ")");
  }
  if (X509_check_private_key(k->cert_, k->key_) != 1) {
    throw CryptoError("the certificate " + (o.cert_file.empty() ? o.key_file : o.cert_file) +
                      " does not belong to the key " + o.key_file + ": " + drain_openssl_errors());
  }

  const int type = EVP_PKEY_get_base_id(k->key_);
  Profile actual;
  if (type == NID_id_GostR3410_2012_256 || type == NID_id_GostR3410_2012_512) {
    actual = Profile::kGost2012;
  } else if (type == EVP_PKEY_RSA) {
    actual = Profile::kRsa;
  } else {
    throw CryptoError("the key " + o.key_file + " is of an unsupported type (" +
                      std::string(OBJ_nid2sn(type)) + "); expected GOST R 34.10-2012 or RSA");
  }
  if (wanted && *wanted != actual) {
    throw CryptoError("the key " + o.key_file + " is " +
                      (actual == Profile::kRsa ? "an RSA" : "a GOST") +
                      " key, but the profile is " + profile_name(*wanted));
  }
  k->profile_ = actual;

  unsigned char* der = nullptr;
  const int der_len = i2d_X509(k->cert_, &der);
  if (der_len <= 0) throw CryptoError("cannot encode the certificate: " + drain_openssl_errors());
  k->cert_der_.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(der_len));
  OPENSSL_free(der);
  k->issuer_name_ = issuer_name_of(k->cert_);
  k->serial_decimal_ = serial_decimal_of(k->cert_);
  k->subject_ = subject_of(k->cert_);
  return k;
}

}  // namespace hub::crypto

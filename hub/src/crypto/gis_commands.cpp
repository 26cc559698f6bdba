#include "hub/crypto/gis_commands.h"

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "hub/crypto/xml_signer.h"
#include "hub/crypto/xml_verifier.h"

namespace hub::crypto {

namespace {

void usage(std::ostream& out) {
  out << "usage: zhkh-hub gis sign --key KEY [--cert CERT]\n"
         "           [--password-file F | --password-env VAR | --password P]\n"
         "           [--profile gost2012|rsa] IN OUT\n"
         "         signs the element Id=\"signed-data-container\" of the request document IN\n"
         "         (XAdES-BES GOST R 34.10-2012 or RSA-SHA256); KEY is PEM or PKCS#12;\n"
         "         OUT may be - (stdout)\n"
         "       zhkh-hub gis verify FILE\n"
         "         verifies every ds:Signature of FILE (- = stdin) with the certificate\n"
         "         it carries; exit status 0 when valid, 1 with the reason otherwise\n";
}

std::string read_input(const std::string& path) {
  std::ostringstream s;
  if (path == "-") {
    s << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    s << in.rdbuf();
  }
  return s.str();
}

int sign_command(const std::vector<std::string>& args) {
  SigningKeyOptions options;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--key") {
      options.key_file = value();
    } else if (a == "--cert") {
      options.cert_file = value();
    } else if (a == "--password-file") {
      options.password_file = value();
    } else if (a == "--password") {  // visible in `ps`: prefer --password-file / --password-env
      options.password = value();
    } else if (a == "--password-env") {
      options.password_env = value();
    } else if (a == "--profile") {
      options.profile = value();
    } else if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      throw std::invalid_argument("unknown option " + a);
    } else {
      files.push_back(a);
    }
  }
  if (options.key_file.empty()) throw std::invalid_argument("--key is required");
  if (files.size() != 2) throw std::invalid_argument("expected IN and OUT");
  const auto signer = XmlSigner::open(options);
  const auto signed_xml = signer->sign(read_input(files[0]), files[0]);
  if (files[1] == "-") {
    std::cout << signed_xml;
  } else {
    std::ofstream out(files[1], std::ios::binary | std::ios::trunc);
    out << signed_xml;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + files[1]);
  }
  std::cerr << "signed " << files[0] << " (" << profile_name(signer->profile()) << ", "
            << signer->key().subject() << ") -> " << files[1] << "\n";
  return 0;
}

int verify_command(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    usage(std::cout);
    return 0;
  }
  if (args.size() != 1) throw std::invalid_argument("expected one FILE");
  const auto r = verify_xml_signature(read_input(args[0]), args[0]);
  if (!r.ok) {
    std::cerr << "zhkh-hub gis verify: INVALID: " << r.error << "\n";
    return 1;
  }
  std::cout << "valid: " << args[0] << ": " << r.signatures << " signature(s), "
            << r.signature_method << ", signer " << r.signer_subject;
  if (!r.signing_time.empty()) std::cout << ", signed at " << r.signing_time;
  std::cout << "\n";
  return 0;
}

}  // namespace

int run_gis_command(int argc, char** argv) {
  std::vector<std::string> args(argv + 2, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  const std::string sub = args[0];
  args.erase(args.begin());
  try {
    if (sub == "sign") return sign_command(args);
    if (sub == "verify") return verify_command(args);
    std::cerr << "zhkh-hub gis: unknown command '" << sub << "'\n";
    usage(std::cerr);
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "zhkh-hub gis " << sub << ": " << e.what() << "\n";
    usage(std::cerr);
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "zhkh-hub gis " << sub << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hub::crypto

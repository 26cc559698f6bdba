// gis_zhkh_emulator: a GIS ZhKH SOAP emulator on 127.0.0.1 (see README.md).

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "emulator.h"

namespace emu = hub::adapters::gis_zhkh::emulator;

namespace {

[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) std::cerr << "gis_zhkh_emulator: " << why << "\n";
  std::cerr
      << "usage: gis_zhkh_emulator [--port N] [--schemas DIR] [--delays MS1,MS2]\n"
         "         [--signatures require|verify|off] [--no-validate-responses] [--threads N]\n"
         "         [--max-accounts N] [--max-messages N] [--basic-auth USER:PASSWORD]\n"
         "         [--cert-fingerprint SHA1] [--sign-key KEY --sign-cert CERT [--sign-profile P]]\n"
         "         [--log]\n"
         "  --port 0 (default) picks a free port; the first line printed is\n"
         "  'gis_zhkh_emulator listening on http://127.0.0.1:<port>'.\n";
  std::exit(why.empty() ? 0 : 2);
}

long number(const std::string& flag, const std::string& v) {
  try {
    std::size_t used = 0;
    long n = std::stol(v, &used);
    if (used != v.size() || n < 0) throw std::invalid_argument(v);
    return n;
  } catch (const std::exception&) {
    usage(flag + " expects a non-negative number, got '" + v + "'");
  }
}

}  // namespace

int main(int argc, char** argv) {
  emu::EmulatorOptions o;
  o.schemas = std::filesystem::path(HUB_SHARED_DIR) / "schemas" / "gis_zhkh" / "16.3.0.0";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port")
      o.port = static_cast<int>(number(a, value()));
    else if (a == "--schemas")
      o.schemas = value();
    else if (a == "--delays") {
      const std::string v = value();
      const auto comma = v.find(',');
      if (comma == std::string::npos)
        usage("--delays expects MS1,MS2 (state 1 for MS1, then 2 for MS2)");
      o.to_state2 = std::chrono::milliseconds(number(a, v.substr(0, comma)));
      o.to_state3 = std::chrono::milliseconds(number(a, v.substr(comma + 1)));
    } else if (a == "--signatures") {
      const std::string v = value();
      if (v == "require")
        o.signatures = emu::SignatureMode::kRequire;
      else if (v == "verify")
        o.signatures = emu::SignatureMode::kVerify;
      else if (v == "off")
        o.signatures = emu::SignatureMode::kOff;
      else
        usage("--signatures expects require, verify or off");
    } else if (a == "--no-validate-responses")
      o.validate_responses = false;
    else if (a == "--threads")
      o.threads = static_cast<int>(number(a, value()));
    else if (a == "--max-accounts")
      o.max_accounts = static_cast<std::size_t>(number(a, value()));
    else if (a == "--max-messages")
      o.max_messages = static_cast<std::size_t>(number(a, value()));
    else if (a == "--basic-auth")
      o.basic_auth = value();
    else if (a == "--cert-fingerprint")
      o.cert_fingerprint = value();
    else if (a == "--sign-key")
      o.sign_key = value();
    else if (a == "--sign-cert")
      o.sign_cert = value();
    else if (a == "--sign-profile")
      o.sign_profile = value();
    else if (a == "--log")
      o.log_requests = true;
    else if (a == "--help" || a == "-h")
      usage("");
    else
      usage("unknown argument '" + a + "'");
  }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts: only sigwait sees them

  try {
    emu::GisEmulator emulator(o);
    emulator.start();
    std::cout << "gis_zhkh_emulator listening on http://127.0.0.1:" << emulator.port() << std::endl;
    int sig = 0;
    sigwait(&set, &sig);
    emulator.stop();
  } catch (const std::exception& e) {
    std::cerr << "gis_zhkh_emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

// zhkh-hub: the daemon (`run`), the migrator (`migrate`) and the admin CLI (everything else).

#include <cstring>
#include <iostream>
#include <string>

#include "hub/app/hub_app.h"
#include "hub/app/hub_config.h"
#include "hub/cli/cli.h"
#include "hub/crypto/gis_commands.h"
#include "hub/core/error.h"
#include "hub/store/migrations.h"

namespace {

void usage() {
  std::cout
      << "usage: zhkh-hub <command> [options]\n"
         "  run -c FILE        run the hub with the configuration FILE\n"
         "  migrate -c FILE    apply database migrations and exit\n"
         "  version            print the version\n"
         "  gis sign|verify    sign / verify GIS ZhKH request documents locally (XAdES-BES GOST\n"
         "                     or RSA); `zhkh-hub gis --help`\n"
         "  gis report         GIS ZhKH errors by object / placement audit (admin API)\n"
         "  messages|dlq|schedules|adapters|routes|tokens|payments|tickets|import|imports|\n"
         "  exchanges ...      admin commands through the admin API;\n"
         "                     `zhkh-hub <command> --help`\n";
}

std::string config_arg(int argc, char** argv) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "-c") || !std::strcmp(argv[i], "--config")) return argv[i + 1];
  }
  return "zhkh-hub.yaml";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "version") {
      std::cout << "zhkh-hub 0.1.0\n";
      return 0;
    }
    if (command == "migrate") {
      const auto config = hub::app::load_hub_config(config_arg(argc, argv));
      pqxx::connection conn(config.db_conninfo);
      const auto report = hub::store::migrate(conn);
      for (const auto& name : report.applied) std::cout << "applied " << name << "\n";
      std::cout << "schema at version " << report.current_version << "\n";
      return 0;
    }
    // gis sign|verify run locally; gis report asks the admin API (hub/src/cli).
    if (command == "gis" && !(argc > 2 && std::string(argv[2]) == "report"))
      return hub::crypto::run_gis_command(argc, argv);  // local, no API
    if (command == "run") {
      return hub::app::run_until_signal(hub::app::load_hub_config(config_arg(argc, argv)));
    }
    return hub::cli::run_cli(argc, argv);
  } catch (const hub::Error& e) {
    std::cerr << "zhkh-hub: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "zhkh-hub: " << e.what() << "\n";
    return 1;
  }
}

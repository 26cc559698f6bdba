#pragma once
// The admin CLI: every `zhkh-hub` subcommand except `run` and `migrate`. It talks to a running
// hub's admin API over HTTP, so it works the same against a local or a remote node:
//   zhkh-hub messages list [--type T] [--source S] [--since 2h|ISO] [--limit N] [--offset N]
//   zhkh-hub messages show ID
//   zhkh-hub dlq list [--all] [--target T] | dlq replay ID
//   zhkh-hub schedules list | schedules runs JOB | schedules run JOB
//   zhkh-hub adapters list | adapters describe NAME
//   zhkh-hub routes show | routes history | routes apply FILE [--dry-run]
//   zhkh-hub tokens list | tokens create NAME --role admin|operator|viewer | tokens revoke NAME
//   zhkh-hub tickets list [--status S --topic T --house H --account A --assignee X --channel C
//                          --overdue] | tickets show ID | tickets transition ID TO [--comment C]
//                          | tickets comment ID TEXT [--internal] | tickets assign ID ASSIGNEE
//   zhkh-hub payments unidentified [--limit N] [--offset N] | payments resolve ID --account N
//   zhkh-hub exchanges list [filters] | exchanges show ID | exchanges export --dir DIR [filters]
//            (filters: --since --until --adapter --operation --status --direction --message-guid)
//   zhkh-hub gis report errors|placement [--kind K] [--since T] [--limit N] [--offset N]
// Common options: --url (default $ZHKH_HUB_URL, else http://127.0.0.1:8480); the token from
// --token, else --token-file, else $ZHKH_HUB_TOKEN, else ./var/admin.token; --json on list and
// show commands prints the API's JSON unchanged; --help everywhere.
// Exit codes: 0 ok, 1 refused or failed, 2 usage, 3 hub unreachable, 4 token missing or refused.

#include <iosfwd>
#include <string>
#include <vector>

namespace hub::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;
inline constexpr int kExitAuth = 4;

/// argv[0] is the program, argv[1] the command group ("messages", "dlq", ...). Output to
/// std::cout, errors to std::cerr.
int run_cli(int argc, char** argv);

/// The same with the arguments after the program name and explicit streams (for tests).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// True for the command groups run_cli handles; main() sends everything else elsewhere.
bool is_cli_command(const std::string& group);

/// The command list for the program's top-level --help.
void print_cli_usage(std::ostream& out);

}  // namespace hub::cli

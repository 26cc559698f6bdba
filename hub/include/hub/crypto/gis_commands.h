#pragma once
// `zhkh-hub gis sign|verify`: local commands (no admin API) over hub::crypto.

namespace hub::crypto {

/// argv[1] is "gis". Prints usage on --help or a wrong call. Exit status: 0 done / signature
/// valid, 1 failed (the reason on stderr), 2 usage error.
int run_gis_command(int argc, char** argv);

}  // namespace hub::crypto

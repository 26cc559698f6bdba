#pragma once
// Bearer tokens for the admin API. A token is 32 random bytes shown once ("zhkh_" + base64url);
// only its SHA-256 hex is stored (hub.api_token.token_hash), so a database dump grants nothing.
// Roles: viewer (GET only), operator (+ dead-letter replay, schedule runs), admin (everything).

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/store/pool.h"

namespace hub::api {

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };

/// "viewer" | "operator" | "admin"; throws hub::Error for anything else.
Role parse_role(const std::string& text);
const char* role_name(Role role);

struct Principal {
  std::string name;  ///< the token's name; recorded as the actor in hub.audit
  Role role = Role::kViewer;
};

struct TokenInfo {
  std::string name;
  Role role = Role::kViewer;
  std::string created_at;
  std::string revoked_at;  ///< empty = active
};

struct BootstrapResult {
  std::string token;  ///< the admin token in clear: print it, never log it
  std::string name;
  bool created = false;  ///< false: an existing token (preset or token file) was kept
};

/// SHA-256 of `token` as lowercase hex.
std::string token_hash(const std::string& token);

/// A fresh random token: "zhkh_" + 43 base64url characters (32 bytes from OpenSSL RAND_bytes).
std::string generate_token();

class TokenStore {
 public:
  explicit TokenStore(store::Pool& pool) : pool_(pool) {}

  /// Creates a token; returns it in clear (the only time it is visible). Throws api::Conflict
  /// when the name is taken, hub::Error for an empty name.
  std::string create(const std::string& name, Role role);
  /// The active token's owner; nullopt for unknown or revoked tokens.
  std::optional<Principal> authenticate(const std::string& token);
  /// Remembers successful authentications for `ttl` (0, the default, remembers nothing), so a
  /// busy queue consumer does not cost a database round trip per request. Revoking through this
  /// store forgets at once; a token revoked by another node stops working here within `ttl`.
  void set_cache_ttl(std::chrono::milliseconds ttl) { cache_ttl_ = ttl; }
  std::vector<TokenInfo> list();
  /// Marks the token revoked; false when no active token has that name.
  bool revoke(const std::string& name);

  /// At start: makes sure an admin token named `name` works and returns it.
  /// - `preset` non-empty (config/env): that token is (re)bound to `name` with role admin.
  /// - else, when `token_file` holds a token that still authenticates as `name`, it is kept.
  /// - else a new token replaces `name`'s and is written to `token_file` (mode 0600, parent
  ///   directories created). An empty `token_file` path skips writing.
  /// Safe when several nodes start together (one upsert per call).
  BootstrapResult ensure_bootstrap_admin(const std::string& preset,
                                         const std::filesystem::path& token_file,
                                         const std::string& name = "local-admin");

 private:
  struct Cached {
    Principal who;
    std::chrono::steady_clock::time_point until;
  };
  store::Pool& pool_;
  std::chrono::milliseconds cache_ttl_{0};
  std::mutex cache_mu_;
  std::unordered_map<std::string, Cached> cache_;  // by token hash, never the token itself
};

}  // namespace hub::api

#include "hub/api/token_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "hub/api/admin_services.h"
#include "hub/core/error.h"
#include "hub/core/log.h"

namespace hub::api {
namespace {

std::string base64url(const unsigned char* data, std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const unsigned v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string read_token_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::string line;
  std::getline(in, line);
  return trim(line);
}

void write_token_file(const std::filesystem::path& path, const std::string& token) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  // Written to a temporary file created 0600 and renamed, so the token is never world-readable,
  // not even for a moment, and a reader never sees half a token.
  const auto tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error("cannot write admin token file " + tmp + ": " + std::strerror(errno));
  }
  ::fchmod(fd, 0600);
  const std::string text = token + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Error("cannot write admin token file " + path.string() + ": " + std::strerror(errno));
  }
}

}  // namespace

Role parse_role(const std::string& text) {
  if (text == "viewer") return Role::kViewer;
  if (text == "operator") return Role::kOperator;
  if (text == "admin") return Role::kAdmin;
  throw Error("unknown role '" + text + "' (expected admin, operator or viewer)");
}

const char* role_name(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::string token_hash(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw Error("SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string generate_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw Error("RAND_bytes failed: no entropy for a token");
  return "zhkh_" + base64url(bytes, sizeof bytes);
}

std::string TokenStore::create(const std::string& name, Role role) {
  if (trim(name).empty()) throw Error("token name must not be empty");
  const auto token = generate_token();
  auto lease = pool_.lease();
  pqxx::work tx(lease.conn());
  const auto r = tx.exec_params(
      "INSERT INTO hub.api_token (name, token_hash, role) VALUES ($1, $2, $3) "
      "ON CONFLICT (name) DO NOTHING RETURNING id",
      name, token_hash(token), std::string(role_name(role)));
  if (r.empty()) throw Conflict("a token named '" + name + "' already exists");
  tx.commit();
  return token;
}

std::optional<Principal> TokenStore::authenticate(const std::string& token) {
  if (token.empty()) return std::nullopt;
  const auto hash = token_hash(token);
  const auto now = std::chrono::steady_clock::now();
  if (cache_ttl_.count() > 0) {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && it->second.until > now) return it->second.who;
  }
  auto lease = pool_.lease();
  pqxx::nontransaction tx(lease.conn());
  const auto r = tx.exec_params(
      "SELECT name, role FROM hub.api_token WHERE token_hash = $1 AND revoked_at IS NULL", hash);
  if (r.empty()) return std::nullopt;
  Principal who{r[0][0].as<std::string>(), parse_role(r[0][1].as<std::string>())};
  if (cache_ttl_.count() > 0) {
    std::lock_guard lock(cache_mu_);
    // Bounded: guessed tokens never get here, so this only grows with real, distinct tokens.
    if (cache_.size() >= 1024) cache_.clear();
    cache_[hash] = {who, now + cache_ttl_};
  }
  return who;
}

std::vector<TokenInfo> TokenStore::list() {
  auto lease = pool_.lease();
  pqxx::nontransaction tx(lease.conn());
  const auto r = tx.exec(
      "SELECT name, role, to_char(created_at AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') "
      "FROM hub.api_token ORDER BY name");
  std::vector<TokenInfo> out;
  for (const auto& row : r) {
    out.push_back({row[0].as<std::string>(), parse_role(row[1].as<std::string>()),
                   row[2].as<std::string>(), row[3].as<std::string>()});
  }
  return out;
}

bool TokenStore::revoke(const std::string& name) {
  {
    std::lock_guard lock(cache_mu_);
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = it->second.who.name == name ? cache_.erase(it) : std::next(it);
    }
  }
  auto lease = pool_.lease();
  pqxx::work tx(lease.conn());
  const auto r = tx.exec_params(
      "UPDATE hub.api_token SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL "
      "RETURNING id",
      name);
  tx.commit();
  return !r.empty();
}

BootstrapResult TokenStore::ensure_bootstrap_admin(const std::string& preset,
                                                   const std::filesystem::path& token_file,
                                                   const std::string& name) {
  Log log("api");
  BootstrapResult result{preset, name, false};
  if (result.token.empty() && !token_file.empty()) {
    const auto existing = read_token_file(token_file);
    if (!existing.empty()) {
      const auto who = authenticate(existing);
      if (who && who->name == name && who->role == Role::kAdmin) {
        result.token = existing;
        log.info("api.bootstrap_token_kept", {{"name", name}, {"file", token_file.string()}});
        return result;
      }
    }
  }
  if (result.token.empty()) {
    result.token = generate_token();
    result.created = true;
  }
  {
    auto lease = pool_.lease();
    pqxx::work tx(lease.conn());
    // Rebinding the name (rather than failing) is what lets a lost token file be recovered by a
    // restart; the old token stops working at the same moment.
    tx.exec_params(
        "INSERT INTO hub.api_token (name, token_hash, role) VALUES ($1, $2, 'admin') "
        "ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, role = 'admin', "
        "revoked_at = NULL",
        name, token_hash(result.token));
    tx.exec_params(
        "INSERT INTO hub.audit (actor, action, object, details) "
        "VALUES ('hub', 'api.token.bootstrap', $1, jsonb_build_object('preset', $2::boolean))",
        "token:" + name, !preset.empty());
    tx.commit();
  }
  if (result.created && !token_file.empty()) write_token_file(token_file, result.token);
  log.info("api.bootstrap_token_ready", {{"name", name},
                                         {"source", preset.empty() ? "generated" : "preset"},
                                         {"file", token_file.string()}});
  return result;
}

}  // namespace hub::api

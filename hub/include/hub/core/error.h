#pragma once
// The hub's typed exceptions. Exceptions are for start-up, config and operator errors; on the
// message path, failures are results (DeliveryResult, RejectedInput) rather than throws.

#include <stdexcept>
#include <string>

namespace hub {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A configuration problem; the message names file, line and key.
class ConfigError : public Error {
 public:
  ConfigError(const std::string& file, int line, const std::string& key, const std::string& what)
      : Error(file + ":" + std::to_string(line) + ": " + (key.empty() ? "" : "'" + key + "': ") +
              what),
        file_(file), line_(line), key_(key) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
};

/// Malformed or refused XML; the message names the document, and the line or XPath.
class XmlError : public Error {
 public:
  using Error::Error;
};

/// A well-formed document that does not satisfy its schema.
class ValidationError : public XmlError {
 public:
  using XmlError::XmlError;
};

class StoreError : public Error {
 public:
  using Error::Error;
};

/// A plugin could not be loaded or created; the message names the file.
class PluginError : public Error {
 public:
  using Error::Error;
};

/// Refused by the admin API's authentication or authorization.
class AuthError : public Error {
 public:
  using Error::Error;
};

}  // namespace hub

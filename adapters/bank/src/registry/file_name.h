#pragma once
// The file-name rule of a layout, e.g. "{inn}_{rs}_{seq}_{mmyy}.txt" (ИНН_РС_НОМЕР_ММГГ.txt):
// checked on import when the layout asks for it, filled in by the writer.

#include <map>
#include <string>

namespace hub::bank {

/// True when `name` fits `pattern`: {inn} 10 or 12 digits, {rs} 20 digits, {seq} 3 digits,
/// {mmyy} month and 2-digit year, {mmyyyy}, {yyyymm}, {service_code} and {bank} any text
/// without '_'; everything else literally.
bool file_name_matches(const std::string& pattern, const std::string& name);

/// `pattern` with {key} replaced from `values`; throws std::invalid_argument naming a missing key
/// or a value of the wrong form.
std::string make_file_name(const std::string& pattern,
                           const std::map<std::string, std::string>& values);

}  // namespace hub::bank

#pragma once
// The emulator's memory: what imports stored (accounts, meters and their readings, payment
// documents, payment notices), what the control API seeded (organisations, houses, appeals,
// readings "entered in GIS"), the accepted messages with their compressed results, and the
// faults waiting to be injected. One mutex guards it all (the emulator's work per request is a
// few microseconds under it; parsing, validation and signature checks run outside).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "text_arena.h"
#include "xml_out.h"

namespace hub::adapters::gis_zhkh::emulator {

using Clock = std::chrono::steady_clock;

/// GUID kinds (GuidMint).
enum Kind : std::uint16_t {
  kAccount = 0xacc0,
  kMeterRoot = 0xde10,
  kMeterVersion = 0xde11,
  kReading = 0xde12,
  kPaymentDoc = 0xbd00,
  kPaymentInfo = 0xbd01,
  kNotification = 0xba00,
  kCancellation = 0xba01,
  kHouse = 0x4005,
  kPremise = 0x4006,
  kOrgRoot = 0x0e00,
  kOrgVersion = 0x0e01,
  kOrgPpa = 0x0e02,
  kAppeal = 0xa900,
  kNsi = 0x4510,
};

/// An account's markup lives in Store::account_text (text_arena.h), body then reasons then number.
struct AccountRec {
  TextArena::Ref text;
  std::uint32_t reasons_at = 0, number_at = 0;  ///< offsets in text
  std::uint32_t house =
      0;  ///< Store::house_id of its first accommodation's FIASHouseGuid (0: none)

  /// AccountType children as stored (hm prefixes), up to PayerInfo.
  std::string_view body() const { return text.view().substr(0, reasons_at); }
  /// AccountReasons markup (hm), may be empty.
  std::string_view reasons() const {
    return text.view().substr(reasons_at, number_at - reasons_at);
  }
  std::string_view number() const { return text.view().substr(number_at); }  ///< AccountNumber
};

struct ReadingRec {
  std::string kind;       ///< "OneRate", "Electric", "Volume"
  std::string value_xml;  ///< CurrentValue children markup (dm / mdb prefixes), for export
  std::string date;       ///< DateValue
  std::string source;     ///< ReadingsSource: "ИС" (imported) or as seeded ("Гражданин")
  std::string org;        ///< orgPPAGUID of the importing organisation ("" when seeded)
  std::string entered;    ///< EnterIntoSystem
  std::string guid;
};

struct MeterRec {
  std::string number;         ///< MeteringDeviceNumber
  std::string house;          ///< FIASHouseGuid
  std::string kind;           ///< value kind the device reports: OneRate/Electric/Volume
  std::string resource_code;  ///< NSI 2 code of its resource
  std::string resource_guid;
  std::uint64_t version = 0;  ///< current MeteringDeviceVersionGUID seq
  bool archived = false;
  std::vector<ReadingRec> readings;
};

struct PaymentDocRec {
  std::string account_guid;
  std::string number;  ///< PaymentDocumentNumber
  std::string id;      ///< PaymentDocumentID (18)
  int year = 0, month = 0;
  std::string total;  ///< TotalPayable, kopecks-free decimal as sent
  std::string payment_info_guid;
  bool withdrawn = false;
  /// What exportPaymentDocumentData echoes: ChargeInfo blocks (bills / nb prefixes, the part the
  /// import and export types share) and the document totals by element name, as imported.
  std::string charges;
  std::map<std::string, std::string> totals;
};

struct NotificationRec {
  std::string order_id;
  std::string guid;
  std::string amount;
  std::string payment_document_id;
  bool cancelled = false;
};

struct OrgRec {
  std::string ogrn, kpp, inn, name, short_name;
  std::string root_guid, version_guid, ppa_guid;
  std::vector<std::string> roles;  ///< NSI 20 codes
};

struct AppealRec {
  std::string guid;
  std::string number;
  std::string text;
  std::string created;
  std::string fias_house;
  std::string author;  ///< applicant's name
  std::string status;  ///< "Send" etc.
};

/// One accepted request.
struct Message {
  std::string guid;            ///< assigned by "GIS"
  std::string requester_guid;  ///< RequestHeader MessageGUID
  std::string sender;          ///< orgPPAGUID (or "" for ISRequestHeader)
  std::string service;
  std::string operation;
  std::string result_version;  ///< base:version of the service's getStateResult
  Clock::time_point accepted;
  std::chrono::milliseconds to_state2{0}, to_state3{0};
  bool stuck = false;                  ///< stays at RequestState 2
  std::string error_code, error_text;  ///< whole-message ErrorMessage (empty = result below)
  TextArena::Ref result;               ///< deflated result markup, in Store::message_text
  std::size_t result_size = 0;
};

/// A fault waiting to be injected. See README.md (control API) for each kind.
struct Fault {
  int id = 0;
  std::string kind;        ///< soap_fault, http_500, hang, stuck, error_message, no_objects
  std::string operation;   ///< empty = any (getState included only when named)
  int remaining = -1;      ///< requests it still applies to; -1 = until deleted
  double seconds = 0;      ///< hang
  std::string code, text;  ///< soap_fault / error_message
};

struct ObjectError {
  std::string code, text;
};

class Store {
 public:
  std::mutex mu;
  GuidMint mint;

  // Objects. Sequence numbers are indices + base (older ones evicted when over the cap).
  std::deque<AccountRec> accounts;
  std::uint64_t accounts_base = 0;
  TextArena account_text;
  // Houses of accounts, interned (2M accounts share a few thousand houses): id → FIASHouseGuid
  // and the account sequence numbers per house (older than accounts_base: evicted, skipped).
  std::vector<std::string> house_names{""};
  std::unordered_map<std::string, std::uint32_t> house_ids;
  std::vector<std::vector<std::uint64_t>> accounts_of_house{{}};
  std::size_t max_accounts = 3'000'000;

  std::vector<MeterRec> meters;
  std::uint64_t meter_versions = 0;
  std::vector<PaymentDocRec> payment_docs;
  std::unordered_map<std::string, std::uint64_t> payment_doc_by_id;  ///< PaymentDocumentID → seq
  std::uint64_t payment_infos = 0;
  std::unordered_map<std::string, NotificationRec> notifications;  ///< by OrderID
  std::uint64_t notification_seq = 0, cancellation_seq = 0, reading_seq = 0;
  std::vector<OrgRec> orgs;
  std::map<std::string, std::string> houses;  ///< FIASHouseGuid → HouseGUID (seeded or seen)
  /// PremisesGUID (lower case) → FIASHouseGuid of the premises GIS knows (control API): meters
  /// placed in a premise must name one of these.
  std::map<std::string, std::string> premises;
  std::vector<AppealRec> appeals;
  std::map<int, std::size_t> nsi_sizes;  ///< registry number → generated elements (control API)

  // Messages.
  std::unordered_map<std::string, Message> messages;
  TextArena message_text;  ///< the messages' results (evicted oldest first, as their blocks)
  std::deque<std::string> message_order;
  std::map<std::pair<std::string, std::string>, std::string>
      by_requester;  ///< (requester, sender) → guid
  std::size_t max_messages = 200'000;

  // Faults.
  std::vector<Fault> faults;
  int next_fault_id = 1;
  std::unordered_map<std::string, ObjectError> object_errors;  ///< by TransportGUID

  // Counters for /control/stats.
  std::uint64_t requests = 0, acks = 0, get_states = 0, soap_faults = 0, duplicates = 0;

  /// The account with this GUID, or nullptr (unknown or evicted).
  AccountRec* account(const std::string& guid);
  /// A new account (house already interned into rec.house); returns its sequence number.
  std::uint64_t add_account(AccountRec rec, std::string_view body, std::string_view reasons,
                            std::string_view number);
  /// Replaces what `rec` (an account of this store) holds.
  void set_account_text(AccountRec& rec, std::string_view body, std::string_view reasons,
                        std::string_view number);
  /// The id of a FIASHouseGuid (interned on first use); 0 for "".
  std::uint32_t house_id(const std::string& fias);
  const std::string& house_name(std::uint32_t id) const { return house_names[id]; }
  std::string account_guid(std::uint64_t seq) const { return mint.make(kAccount, seq); }
  /// ЕЛС (10 characters) and ЖКУ id (13) derived from the sequence number.
  static std::string unified_account_number(std::uint64_t seq);
  static std::string service_id(std::uint64_t seq);

  MeterRec* meter_by_root(const std::string& guid);
  MeterRec* meter_by_version(const std::string& guid);
  std::string meter_root_guid(std::uint64_t seq) const { return mint.make(kMeterRoot, seq); }

  /// Takes the first fault of `kind` for `operation` (decrementing its count), or nullopt.
  std::optional<Fault> take_fault(const std::string& kind, const std::string& operation);
  bool has_fault(const std::string& kind, const std::string& operation) const;

  /// Stores `m` with its deflated result; evicts the oldest over max_messages.
  void remember(Message m, std::string_view deflated_result);
  void reset();  ///< everything but the faults and the mint
};

}  // namespace hub::adapters::gis_zhkh::emulator

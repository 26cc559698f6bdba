#include "exchange_engine.h"

#include <algorithm>

#include "util.h"
#include "xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

using Clock = std::chrono::system_clock;
using Kind = SendOutcome::Kind;

constexpr const char* kSoapNs = "http://schemas.xmlsoap.org/soap/envelope/";

// Context text: a first line "service\telement\tns\tversion", then one line per object with
// tab-separated fields; tabs, newlines and backslashes inside fields are escaped.
std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  return out;
}
std::string unesc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char n = s[++i];
      out += n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n;
    } else {
      out += s[i];
    }
  }
  return out;
}
std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = line.find(sep, start);
    out.push_back(line.substr(start, at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

struct RequestMeta {
  std::string service, element, ns, version;
};

std::string encode_context(const BuiltRequest& r) {
  return esc(r.service) + "\t" + esc(r.element) + "\t" + esc(r.ns) + "\t" + esc(r.version) + "\n" +
         encode_objects(r.objects);
}

RequestMeta decode_meta(const std::string& context) {
  const auto nl = context.find('\n');
  auto f = split(context.substr(0, nl), '\t');
  f.resize(4);
  return {unesc(f[0]), unesc(f[1]), unesc(f[2]), unesc(f[3])};
}

std::string objects_part(const std::string& context) {
  const auto nl = context.find('\n');
  return nl == std::string::npos ? std::string() : context.substr(nl + 1);
}

}  // namespace

std::string encode_objects(const std::vector<ObjectLine>& objects) {
  std::string out;
  for (const auto& o : objects) {
    out +=
        esc(o.transport_guid) + "\t" + esc(o.kind) + "\t" + esc(o.ref) + "\t" + esc(o.data) + "\n";
  }
  return out;
}

std::vector<ObjectLine> decode_objects(const std::string& text) {
  std::vector<ObjectLine> out;
  for (const auto& line : split(text, '\n')) {
    if (line.empty()) continue;
    auto f = split(line, '\t');
    f.resize(4);
    out.push_back({unesc(f[0]), unesc(f[1]), unesc(f[2]), unesc(f[3])});
  }
  return out;
}

ExchangeEngine::ExchangeEngine(plugin::Context& ctx, EngineSettings settings,
                               std::shared_ptr<Formats> formats, std::shared_ptr<SoapClient> soap,
                               std::shared_ptr<plugin::Signer> signer)
    : ctx_(ctx),
      settings_(std::move(settings)),
      formats_(std::move(formats)),
      soap_(std::move(soap)),
      signer_(std::move(signer)) {
  if (settings_.cadence.empty()) settings_.cadence = {std::chrono::seconds(10)};
}

void ExchangeEngine::on_result(const std::string& operation, ResultHandler handler) {
  handlers_[operation] = std::move(handler);
}

std::chrono::milliseconds ExchangeEngine::cadence(int polls) const {
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(std::max(polls, 0)),
                                       settings_.cadence.size() - 1);
  return settings_.cadence[i];
}

std::string soap_envelope(const std::string& header, const std::string& date,
                          const std::string& message_guid, const std::string& org_ppa_guid,
                          bool operator_signature, const std::string& body) {
  std::string out;
  out.reserve(body.size() + 800);
  out += "<soapenv:Envelope xmlns:soapenv=\"";
  out += kSoapNs;
  out += "\" xmlns:base=\"";
  out += kBaseNs;
  out += "\"><soapenv:Header>";
  if (header == "ISRequestHeader") {
    out += "<base:ISRequestHeader>";
    element(out, "base:Date", date);
    element(out, "base:MessageGUID", message_guid);
    out += "</base:ISRequestHeader>";
  } else {
    out += "<base:RequestHeader>";
    element(out, "base:Date", date);
    element(out, "base:MessageGUID", message_guid);
    element(out, "base:orgPPAGUID", org_ppa_guid);
    if (operator_signature) element(out, "base:IsOperatorSignature", "true");
    out += "</base:RequestHeader>";
  }
  out += "</soapenv:Header><soapenv:Body>";
  out += body;
  out += "</soapenv:Body></soapenv:Envelope>";
  return out;
}

std::string ExchangeEngine::envelope(const plugin::ExchangeRecord& rec, const std::string& body,
                                     const plugin::PackageOperation& op) const {
  return soap_envelope(op.header, format_time(ctx_.clock().now()), rec.request_id,
                       settings_.org_ppa_guid, settings_.operator_signature, body);
}

SendOutcome ExchangeEngine::submit(const std::string& key, const BuiltRequest& request,
                                   bool deliver_path, bool send_now) {
  plugin::ExchangeRecord rec;
  rec.key = key;
  rec.operation = request.operation;
  rec.state = deliver_path ? "pending" : "queued";
  rec.request_id = new_guid();
  rec.request = request.body;
  rec.context = encode_context(request);
  for (const auto& o : request.objects) rec.objects.push_back(o.kind + ":" + o.ref);
  // Not due for the poller while this thread sends it; if this hub dies before the send is
  // recorded, the poller sends it (same MessageGUID) once this has passed.
  rec.next_poll_at = ctx_.clock().now() +
                     (send_now || deliver_path ? settings_.lease : std::chrono::milliseconds(0));
  auto stored = ctx_.exchanges().create(rec);
  if (!send_now && !deliver_path && stored.state == "queued") {
    return {Kind::kQueued, "", "", stored};
  }
  if (stored.state == "sent" || stored.state == "done") return {Kind::kSent, "", "", stored};
  if (deliver_path && stored.state == "failed" && stored.error_code == kDeadLetterCode) {
    // A replayed dead letter: the same request, MessageGUID and all, goes again.
    ctx_.log().info("dead_letter_replayed",
                    {{"operation", stored.operation}, {"request_id", stored.request_id}});
    stored.state = "pending";
    stored.error_code.clear();
    stored.error_text.clear();
    return send(stored, "pending");
  }
  if (stored.state == "failed")
    return {Kind::kRejected, stored.error_code, stored.error_code + " " + stored.error_text,
            stored};
  return send(stored, deliver_path ? "pending" : "queued");
}

void ExchangeEngine::abandon(const std::string& key, const std::string& reason) {
  auto rec = ctx_.exchanges().find_by_key(key);
  if (!rec || rec->state != "pending") return;  // sent ones finish through getState
  rec->state = "failed";
  rec->error_code = kDeadLetterCode;
  rec->error_text = reason;
  rec->result = std::string(kDeadLetterCode) + ": " + reason;
  ctx_.exchanges().update(*rec);
  ctx_.log().warn(
      "exchange_abandoned",
      {{"operation", rec->operation}, {"request_id", rec->request_id}, {"reason", reason}});
  ctx_.metrics().add("requests_total", {{"operation", rec->operation}, {"outcome", "dead_letter"}});
}

SendOutcome ExchangeEngine::send(plugin::ExchangeRecord& rec, const std::string& transient_state) {
  const auto now = ctx_.clock().now();
  const auto meta = decode_meta(rec.context);
  const auto& fmt = formats_->at(now);
  auto fail = [&](const std::string& code, const std::string& why) {
    StateReport st{rec.operation, rec.request_id, rec.ack_guid, "done", now, code, why, {}};
    rec.error_code = code;
    rec.error_text = why;
    finish(rec, st, {}, "failed", code + ": " + why);
    ctx_.metrics().add("requests_total", {{"operation", rec.operation}, {"outcome", "rejected"}});
    return SendOutcome{Kind::kRejected, code, code + ": " + why, rec};
  };
  auto later = [&](const std::string& code, const std::string& why) {
    rec.state = transient_state;
    rec.error_code = code;
    rec.error_text = why;
    rec.next_poll_at = now + cadence(rec.sends);
    ++rec.sends;
    // Unsynced (see "Durability" in exchange_engine.h): lost, the send is tried again anyway.
    ctx_.exchanges().update_unsynced(rec);
    ctx_.metrics().add("requests_total", {{"operation", rec.operation}, {"outcome", "transient"}});
    return SendOutcome{Kind::kTransient, code, (code.empty() ? "" : code + ": ") + why, rec};
  };
  const auto op = fmt.package->operation(meta.service, rec.operation);
  if (!op) return fail("CONFIG", "format " + fmt.version + " has no operation " + rec.operation);
  const auto accepted = fmt.package->accepted_versions(meta.ns, meta.element);
  if (!accepted.empty() &&
      std::find(accepted.begin(), accepted.end(), meta.version) == accepted.end()) {
    return fail("VERSION", "format " + fmt.version + " does not accept base:version " +
                               meta.version + " of " + meta.element);
  }
  if (rec.request.empty()) {
    // Claimed after an acknowledgement, which comes without the request (ExchangeStore::
    // claim_due); going out again, it needs it.
    if (auto stored = ctx_.exchanges().find(rec.id)) rec.request = stored->request;
  }
  std::string wire = envelope(rec, rec.request, *op);
  // Parsed once: validated, then signed in place (each used to parse the text again).
  XmlDoc parsed;
  try {
    parsed = parse_xml(wire, "request");
  } catch (const std::exception& e) {
    return fail("XSD", std::string("request does not validate: ") + e.what());
  }
  const auto issues = fmt.package->validate_soap(parsed.get());
  if (!issues.empty())
    return fail("XSD", "request does not validate: " + plugin::summarize(issues));
  try {
    if (signer_) wire = signer_->sign_document(parsed.get(), wire);
  } catch (const std::exception& e) {
    return fail("SIGN", std::string("signing failed: ") + e.what());
  }
  parsed.reset();
  ctx_.store().log_exchange(rec.operation, "out", rec.request_id, "request", wire);
  const auto reply = soap_->call(op->endpoint_path, op->soap_action, wire, settings_.send_timeout);
  const std::string status = reply.kind == SoapReply::Kind::kOk      ? "ack"
                             : reply.kind == SoapReply::Kind::kFault ? "fault " + reply.fault_code
                                                                     : "transport";
  ctx_.store().log_exchange(rec.operation, "in", rec.request_id, status,
                            reply.body.empty() ? reply.error : reply.body);
  if (reply.kind == SoapReply::Kind::kTransport) return later("", reply.error);
  if (reply.kind == SoapReply::Kind::kFault) {
    if (is_transient_code(reply.fault_code) ||
        (reply.http_status >= 500 && reply.fault_code.empty()))
      return later(reply.fault_code, reply.fault_text);
    return fail(reply.fault_code.empty() ? "FAULT" : reply.fault_code, reply.fault_text);
  }
  const auto resp_issues = fmt.package->validate_soap(reply.doc.get());
  if (!resp_issues.empty())
    return later("XSD", "acknowledgement does not validate: " + plugin::summarize(resp_issues));
  xmlNodePtr ack = child(reply.payload, "Ack");
  const auto guid = child_text(ack, "MessageGUID");
  const auto requester = child_text(ack, "RequesterMessageGUID");
  if (local_name(reply.payload) != "AckRequest" || guid.empty())
    return later("ACK", "no AckRequest in the answer");
  if (lower(requester) != lower(rec.request_id))
    return later("ACK", "Ack names RequesterMessageGUID " + requester + ", sent " + rec.request_id);
  rec.state = "sent";
  rec.ack_guid = guid;
  rec.polls = 0;
  ++rec.sends;
  rec.error_code.clear();
  rec.error_text.clear();
  rec.next_poll_at = now + cadence(0);
  // The store keeps the request; an update without it leaves it there and compares nothing.
  rec.request.clear();
  // Unsynced: lost, the record is sent again under the same MessageGUID once its lease ends.
  ctx_.exchanges().update_unsynced(rec);
  ctx_.metrics().add("requests_total", {{"operation", rec.operation}, {"outcome", "sent"}});
  return {Kind::kSent, "", "", rec};
}

PollReport ExchangeEngine::poll_once(std::size_t limit) {
  PollReport report;
  auto due = ctx_.exchanges().claim_due({"queued", "sent"}, limit, settings_.lease);
  report.claimed = due.size();
  for (auto& rec : due) {
    try {
      if (rec.state == "queued") {
        const auto out = send(rec, "queued");
        if (out.kind == Kind::kSent)
          ++report.sent;
        else if (out.kind == Kind::kTransient)
          ++report.retried;
        else {
          ++report.failed;
          report.failures.push_back(rec.operation + " " + rec.key + ": " + out.reason);
        }
      } else {
        poll(rec, report);
      }
    } catch (const std::exception& e) {
      // The store or Ingress failed: the lease runs out and the record is taken up again.
      ctx_.log().error("exchange_step_failed",
                       {{"key", rec.key}, {"operation", rec.operation}, {"error", e.what()}});
    }
  }
  return report;
}

void ExchangeEngine::poll(plugin::ExchangeRecord& rec, PollReport& report) {
  ++report.polled;
  const auto now = ctx_.clock().now();
  const auto meta = decode_meta(rec.context);
  const auto& fmt = formats_->at(now);
  const auto op = fmt.package->operation(meta.service, "getState");
  if (!op) {
    rec.next_poll_at = now + cadence(rec.polls);
    ctx_.exchanges().update_unsynced(rec);
    return;
  }
  plugin::ExchangeRecord poll_rec = rec;
  poll_rec.request_id = new_guid();
  std::string body = "<base:getStateRequest><base:MessageGUID>" + rec.ack_guid +
                     "</base:MessageGUID></base:getStateRequest>";
  const auto doc = envelope(poll_rec, body, *op);
  ctx_.store().log_exchange("getState", "out", rec.request_id, rec.operation, doc);
  const auto reply = soap_->call(op->endpoint_path, op->soap_action, doc, settings_.poll_timeout);
  ctx_.store().log_exchange(
      "getState", "in", rec.request_id,
      reply.kind == SoapReply::Kind::kOk ? "state" : "fault " + reply.fault_code,
      reply.body.empty() ? reply.error : reply.body);
  // A poll's own bookkeeping is unsynced: lost, the record is polled again.
  auto again = [&] {
    rec.next_poll_at = now + cadence(rec.polls);
    ctx_.exchanges().update_unsynced(rec);
    ++report.retried;
  };
  if (reply.kind == SoapReply::Kind::kTransport) return again();
  if (reply.kind == SoapReply::Kind::kFault) {
    if (is_transient_code(reply.fault_code) || reply.fault_code.empty()) return again();
    StateReport st{rec.operation, rec.request_id,   rec.ack_guid,     "done",
                   now,           reply.fault_code, reply.fault_text, {}};
    rec.error_code = reply.fault_code;
    rec.error_text = reply.fault_text;
    finish(rec, st, {}, "failed", reply.fault_code + ": " + reply.fault_text);
    ++report.failed;
    report.failures.push_back(rec.operation + " " + rec.key + ": " + reply.fault_code + " " +
                              reply.fault_text);
    return;
  }
  const auto issues = fmt.package->validate_soap(reply.doc.get());
  if (!issues.empty()) {
    ctx_.log().warn("response_invalid",
                    {{"operation", rec.operation}, {"issues", plugin::summarize(issues)}});
    return again();
  }
  xmlNodePtr result = reply.payload;
  if (settings_.verifier && child(result, "Signature")) {
    const auto check = settings_.verifier->verify(reply.body);
    if (!check.ok) {
      ctx_.log().warn("response_signature_invalid",
                      {{"operation", rec.operation}, {"key", rec.key}, {"error", check.error}});
      ctx_.metrics().add("response_signatures_total", {{"result", "invalid"}});
      return again();
    }
    ctx_.metrics().add("response_signatures_total", {{"result", "valid"}});
    ctx_.store().log_exchange("getState", "in", rec.request_id, "signature valid",
                              check.signer_subject);
  }
  const auto state = child_text(result, "RequestState");
  if (state != "3") {
    ++rec.polls;
    rec.next_poll_at = now + cadence(rec.polls);
    ctx_.exchanges().update_unsynced(rec);
    return;
  }
  // Already emitted before a crash: only the record was not marked yet.
  if (auto cp = ctx_.store().find_checkpoint(ctx_.instance(), "exchange:" + rec.key);
      cp && cp->status == "done") {
    rec.state = rec.error_code.empty() ? "done" : "failed";
    rec.result = cp->report;
    ctx_.exchanges().update_unsynced(rec);
    ++report.done;
    return;
  }
  xmlNodePtr error = child(result, "ErrorMessage");
  for (xmlNodePtr ir : children(result, "ImportResult")) {
    if (!error) error = child(ir, "ErrorMessage");
  }
  StateReport st{rec.operation, rec.request_id, rec.ack_guid, "done", now, "", "", {}};
  if (error) {
    const auto code = child_text(error, "ErrorCode");
    const auto text = child_text(error, "Description");
    if (code == "INT002012") {  // "no objects": an empty result, not a failure
      finish(rec, st, {}, "done", "INT002012: no objects");
      ++report.done;
      return;
    }
    if (is_transient_code(code) && rec.sends < settings_.max_resends) {
      rec.state = "queued";
      rec.request_id = new_guid();  // a new message: GIS did not process the old one
      rec.ack_guid.clear();
      rec.polls = 0;
      rec.error_code = code;
      rec.error_text = text;
      rec.next_poll_at = now;
      ctx_.exchanges().update_unsynced(rec);  // lost: GIS gives the same error again
      ++report.retried;
      return;
    }
    st.error_code = code.empty() ? "ERROR" : code;
    st.error_text = text;
    rec.error_code = st.error_code;
    rec.error_text = text;
    finish(rec, st, {}, "failed", st.error_code + ": " + text);
    ++report.failed;
    report.failures.push_back(rec.operation + " " + rec.key + ": " + st.error_code + " " + text);
    return;
  }
  const auto objects = decode_objects(objects_part(rec.context));
  ResultInput in{ctx_.instance(), rec.operation, rec.ack_guid, now, objects, result};
  Handled h;
  auto it = handlers_.find(rec.operation);
  if (it != handlers_.end()) {
    h = it->second(in);
  } else {
    h = import_results(in);
  }
  st.results = std::move(h.results);
  finish(rec, st, std::move(h.messages), "done", h.summary);
  ++report.done;
  for (std::size_t i = 0; i < h.follow_ups.size(); ++i) {
    submit(rec.key + ":next" + std::to_string(i + 1), h.follow_ups[i], false);
  }
}

void ExchangeEngine::finish(plugin::ExchangeRecord& rec, const StateReport& state,
                            std::vector<plugin::Envelope> messages, const std::string& final_state,
                            const std::string& summary) {
  std::vector<plugin::Envelope> batch;
  // An export's answer is its messages; an import's (and any error) is external.state.
  if (!state.results.empty() || !state.error_code.empty() || messages.empty()) {
    batch.push_back(
        make_message("external.state",
                     "gis_zhkh:" + ctx_.instance() + ":state:" + rec.key + ":" + rec.request_id,
                     external_state_body(state), rec.request_id));
  }
  for (auto& m : messages) batch.push_back(std::move(m));
  plugin::Checkpoint cp;
  cp.key = "exchange:" + rec.key;
  cp.file_name = rec.operation;
  cp.status = "done";
  cp.report = summary;
  std::size_t refused = 0;
  try {
    ctx_.emitter().emit(batch, cp);
  } catch (const plugin::RejectedInput& e) {
    // One message the canonical schema refuses (e.g. a GIS value outside the canonical format)
    // must not hold the others back forever: each goes alone, the refused ones are logged, and
    // the checkpoint closes the exchange.
    ctx_.log().warn("result_refused", {{"operation", rec.operation}, {"error", e.what()}});
    for (auto& m : batch) {
      try {
        ctx_.emitter().emit({m});
      } catch (const plugin::RejectedInput& one) {
        ++refused;
        ctx_.log().error(
            "result_message_refused",
            {{"operation", rec.operation}, {"key", m.idempotency_key}, {"error", one.what()}});
      }
    }
    cp.report = summary + "; " + std::to_string(refused) + " messages refused by ingress";
    ctx_.emitter().emit({}, cp);
  }
  rec.state = final_state;
  rec.result = refused ? cp.report : summary;
  // Unsynced: the checkpoint Ingress committed durably above is what says the exchange is over;
  // if this is lost, the next poll finds it done and marks the record again.
  ctx_.exchanges().update_unsynced(rec);
  ctx_.metrics().add("exchanges_total", {{"operation", rec.operation}, {"state", final_state}});
}

}  // namespace hub::adapters::gis_zhkh

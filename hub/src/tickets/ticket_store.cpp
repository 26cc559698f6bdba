#include "hub/tickets/ticket_store.h"

#include <algorithm>

#include "hub/billing/account_identifier.h"
#include "hub/metrics/registry.h"
#include "hub/xml/envelope_xml.h"

namespace hub::tickets {
namespace {

using std::chrono::system_clock;

constexpr auto kLeaseTimeout = std::chrono::seconds(10);

std::string ts(const std::string& column) {
  return "coalesce(to_char(" + column +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')";
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string text_or_empty(const pqxx::field& f) {
  return f.is_null() ? "" : f.as<std::string>();
}

const std::string& ticket_columns() {
  static const std::string kColumns =
      "t.id, t.channel, coalesce(t.external_id, ''), coalesce(t.message_id::text, ''), t.topic, "
      "t.topic_text, t.body, coalesce(t.account, ''), coalesce(t.house, ''), "
      "coalesce(t.applicant_name, ''), coalesce(t.applicant_phone, ''), "
      "coalesce(t.applicant_email, ''), t.status, coalesce(t.assignee, ''), " +
      ts("t.submitted_at") + ", " + ts("t.created_at") + ", " + ts("t.updated_at") + ", " +
      ts("t.due_at") + ", " + ts("t.resolved_at") + ", " + ts("t.sla_breached_at") +
      ", t.created_by, (t.due_at IS NOT NULL AND t.resolved_at IS NULL AND t.sla_paused_at IS NULL "
      "AND t.due_at < $1), coalesce(t.premise, ''), " +
      ts("t.sla_paused_at");
  return kColumns;
}

Ticket ticket_from_row(const pqxx::row& r) {
  Ticket t;
  t.id = r[0].as<long long>();
  t.channel = r[1].as<std::string>();
  t.external_id = r[2].as<std::string>();
  t.message_id = r[3].as<std::string>();
  t.topic = r[4].as<std::string>();
  t.topic_text = r[5].as<std::string>();
  t.text = r[6].as<std::string>();
  t.account = r[7].as<std::string>();
  t.house = r[8].as<std::string>();
  t.applicant_name = r[9].as<std::string>();
  t.applicant_phone = r[10].as<std::string>();
  t.applicant_email = r[11].as<std::string>();
  t.status = r[12].as<std::string>();
  t.assignee = r[13].as<std::string>();
  t.submitted_at = r[14].as<std::string>();
  t.created_at = r[15].as<std::string>();
  t.updated_at = r[16].as<std::string>();
  t.due_at = r[17].as<std::string>();
  t.resolved_at = r[18].as<std::string>();
  t.sla_breached_at = r[19].as<std::string>();
  t.created_by = r[20].as<std::string>();
  t.overdue = r[21].as<bool>();
  t.premise = r[22].as<std::string>();
  t.sla_paused_at = r[23].as<std::string>();
  return t;
}

long long insert_event(pqxx::work& tx, long long ticket, const std::string& kind,
                       const std::string& from, const std::string& to, const std::string& assignee,
                       const std::string& body, bool internal, const std::string& actor,
                       const std::string& message_id, const std::string& at) {
  return tx
      .exec_params1(
          "INSERT INTO tickets.ticket_event (ticket_id, kind, from_status, to_status, assignee, "
          "body, internal, actor, message_id, at) VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), "
          "NULLIF($5, ''), NULLIF($6, ''), $7, $8, NULLIF($9, '')::uuid, $10::timestamptz) "
          "RETURNING id",
          ticket, kind, from, to, assignee, body, internal, actor, message_id, at)[0]
      .as<long long>();
}

/// Adds the attachments not yet on the ticket, each with its attachment_added event.
void add_attachments(pqxx::work& tx, long long ticket, const std::vector<AttachmentRef>& refs,
                     const std::string& actor, const std::string& message_id, const std::string& at,
                     std::vector<long long>& events) {
  for (const auto& a : refs) {
    if (trim(a.uri).empty()) throw InvalidTicket("an attachment needs a uri");
    const auto r = tx.exec_params(
        "INSERT INTO tickets.attachment (ticket_id, uri, name, media_type, sha256, added_at) "
        "VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), NULLIF($5, ''), $6::timestamptz) "
        "ON CONFLICT (ticket_id, uri) DO NOTHING RETURNING id",
        ticket, a.uri, a.name, a.media_type, a.sha256, at);
    if (r.empty()) continue;
    const auto ev = insert_event(tx, ticket, "attachment_added", "", "", "",
                                 a.name.empty() ? a.uri : a.name + " <" + a.uri + ">", false, actor,
                                 message_id, at);
    tx.exec_params("UPDATE tickets.attachment SET event_id = $2 WHERE id = $1",
                   r[0][0].as<long long>(), ev);
    events.push_back(ev);
  }
}

// c:Channel of schemas/canonical/common.xsd: a ticket's channel must be one, or its
// ticket.updated could not be published.
const std::vector<std::string> kChannels = {
    "gis", "portal", "mobile", "email",         "phone", "operator", "marketplace",
    "sms", "file",   "bank",   "payment_agent", "askue", "other"};

[[noreturn]] void refuse(const TransitionRefused& e) {
  metrics::Registry::global().add("zhkh_tickets_transitions_refused_total");
  throw e;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? "none" : out;
}

}  // namespace

TicketStore::TicketStore(store::Pool& pool, std::shared_ptr<const TicketModel> model, Clock clock)
    : pool_(pool), model_(std::move(model)), clock_(std::move(clock)) {
  auto& m = metrics::Registry::global();
  m.describe("zhkh_tickets_created_total", "Tickets created, by channel and topic");
  m.describe("zhkh_tickets_transitions_total", "Status changes applied, by target status");
  m.describe("zhkh_tickets_transitions_refused_total",
             "Status changes the model refused (API 409, sink rejections)");
  m.describe("zhkh_tickets_sla_breaches_total", "SLA deadlines passed on open tickets");
  m.describe("zhkh_tickets_overdue", "Open tickets past their SLA deadline (SLA monitor)");
}

system_clock::time_point TicketStore::now() const {
  return clock_ ? clock_() : system_clock::now();
}

void TicketStore::identify_account(NewTicket& t) {
  // The account as every adapter identifies it (hub/billing); its house and premise let the
  // assignment rules by house apply to a call that only gave the ЛС. The ticket is kept as given
  // when billing does not know the account or cannot be asked.
  try {
    billing::AccountIdentifier identifier(pool_);
    billing::PayerRef ref;
    ref.account = t.account;
    ref.name = t.applicant_name;
    const auto found = identifier.identify(ref);
    if (!found.identified() || found.method != "account") return;
    auto lease = pool_.lease(kLeaseTimeout);
    pqxx::read_transaction tx(lease.conn());
    const auto r = tx.exec_params(
        "SELECT coalesce(house_fias_guid, ''), coalesce(premise_number, '') FROM billing.account "
        "WHERE id = $1",
        found.account_id);
    if (r.empty()) return;
    if (t.house.empty()) t.house = r[0][0].as<std::string>();
    if (t.premise.empty()) t.premise = r[0][1].as<std::string>();
  } catch (const std::exception&) {
    // No billing state (a hub without schema billing data) or a lookup failure: not fatal.
  }
}

CreateResult TicketStore::create(const NewTicket& given) {
  NewTicket in = given;
  if (trim(in.channel).empty()) throw InvalidTicket("a ticket needs a channel");
  if (std::find(kChannels.begin(), kChannels.end(), in.channel) == kChannels.end()) {
    throw InvalidTicket("unknown channel '" + in.channel + "' (known: " + join(kChannels) + ")");
  }
  if (trim(in.text).empty()) throw InvalidTicket("a ticket needs a text");
  if (!in.account.empty() && (in.house.empty() || in.premise.empty())) identify_account(in);
  const auto& topic = model_->resolve_topic(in.topic);
  const auto at = now();
  const auto at_text = xml::format_timestamp(at);
  const auto due = model_->due_at(topic.code, at);
  const auto assignee = model_->assignee_for(topic.code, in.house, in.channel);
  const auto actor = in.actor.empty() ? in.channel : in.actor;

  auto lease = pool_.lease(kLeaseTimeout);
  pqxx::work tx(lease.conn());
  auto existing = [&]() -> std::optional<long long> {
    if (!in.external_id.empty()) {
      const auto r =
          tx.exec_params("SELECT id FROM tickets.ticket WHERE channel = $1 AND external_id = $2",
                         in.channel, in.external_id);
      if (!r.empty()) return r[0][0].as<long long>();
    }
    if (!in.message_id.empty()) {
      const auto r = tx.exec_params("SELECT id FROM tickets.ticket WHERE message_id = $1::uuid",
                                    in.message_id);
      if (!r.empty()) return r[0][0].as<long long>();
    }
    return std::nullopt;
  };
  if (auto id = existing()) return {*id, false};

  const auto r = tx.exec_params(
      "INSERT INTO tickets.ticket (channel, external_id, message_id, topic, topic_text, body, "
      "account, house, applicant_name, applicant_phone, applicant_email, status, assignee, "
      "submitted_at, created_at, updated_at, due_at, created_by, premise) VALUES ($1, NULLIF($2, "
      "''), "
      "NULLIF($3, '')::uuid, $4, $5, $6, NULLIF($7, ''), NULLIF($8, ''), NULLIF($9, ''), "
      "NULLIF($10, ''), NULLIF($11, ''), $12, NULLIF($13, ''), NULLIF($14, '')::timestamptz, "
      "$15::timestamptz, $15::timestamptz, NULLIF($16, '')::timestamptz, $17, NULLIF($18, '')) "
      "ON CONFLICT DO NOTHING RETURNING id",
      in.channel, in.external_id, in.message_id, topic.code,
      trim(in.topic).empty() ? topic.label : trim(in.topic), in.text, in.account, in.house,
      in.applicant_name, in.applicant_phone, in.applicant_email, model_->initial_status(),
      assignee.value_or(""), in.submitted_at ? xml::format_timestamp(*in.submitted_at) : "",
      at_text, due ? xml::format_timestamp(*due) : "", actor, in.premise);
  if (r.empty()) {
    // Another writer created the same ticket between our look-up and the insert.
    if (auto id = existing()) return {*id, false};
    throw StoreError("ticket insert conflicted but no existing ticket was found");
  }
  const auto id = r[0][0].as<long long>();
  std::vector<long long> events;
  insert_event(tx, id, "created", "", model_->initial_status(), "", "", false, actor, in.message_id,
               at_text);
  if (assignee) {
    insert_event(tx, id, "assigned", "", "", *assignee, "", false, "rule", "", at_text);
  }
  add_attachments(tx, id, in.attachments, actor, in.message_id, at_text, events);
  // What came with the ticket is not a change to tell the channels about (TicketPublisher).
  tx.exec_params(
      "UPDATE tickets.ticket_event SET published_at = $2::timestamptz WHERE ticket_id = $1", id,
      at_text);
  tx.commit();
  metrics::Registry::global().add("zhkh_tickets_created_total",
                                  {{"channel", in.channel}, {"topic", topic.code}});
  return {id, true};
}

std::optional<long long> TicketStore::find_by_channel_id(const std::string& channel,
                                                         const std::string& external_id) {
  auto lease = pool_.lease(kLeaseTimeout);
  pqxx::read_transaction tx(lease.conn());
  const auto r =
      tx.exec_params("SELECT id FROM tickets.ticket WHERE channel = $1 AND external_id = $2",
                     channel, external_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<long long>();
}

std::optional<Ticket> TicketStore::get(long long id) {
  const auto now_text = xml::format_timestamp(now());
  auto lease = pool_.lease(kLeaseTimeout);
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params(
      "SELECT " + ticket_columns() + " FROM tickets.ticket t WHERE t.id = $2", now_text, id);
  if (r.empty()) return std::nullopt;
  auto t = ticket_from_row(r[0]);
  for (const auto& e :
       tx.exec_params("SELECT id, kind, from_status, to_status, assignee, body, internal, actor, "
                      "message_id::text, " +
                          ts("at") + ", " + ts("published_at") +
                          ", coalesce(publish_error, '') FROM tickets.ticket_event "
                          "WHERE ticket_id = $1 ORDER BY id",
                      id)) {
    TicketEvent ev;
    ev.id = e[0].as<long long>();
    ev.kind = e[1].as<std::string>();
    ev.from_status = text_or_empty(e[2]);
    ev.to_status = text_or_empty(e[3]);
    ev.assignee = text_or_empty(e[4]);
    ev.body = text_or_empty(e[5]);
    ev.internal = e[6].as<bool>();
    ev.actor = e[7].as<std::string>();
    ev.message_id = text_or_empty(e[8]);
    ev.at = e[9].as<std::string>();
    // What a ticket arrived with is marked "published" at its own time (nothing to send); a
    // staff change is published later, by TicketPublisher.
    const auto published = e[10].as<std::string>();
    if (ev.message_id.empty() && ev.actor != "rule" && published != ev.at) {
      ev.published_at = published;
    }
    ev.publish_error = e[11].as<std::string>();
    t.events.push_back(std::move(ev));
  }
  for (const auto& a : tx.exec_params(
           "SELECT uri, name, media_type, sha256 FROM tickets.attachment WHERE ticket_id = $1 "
           "ORDER BY id",
           id)) {
    t.attachments.push_back(
        {a[0].as<std::string>(), text_or_empty(a[1]), text_or_empty(a[2]), text_or_empty(a[3])});
  }
  return t;
}

TicketPage TicketStore::list(const TicketFilter& f) {
  const auto now_text = xml::format_timestamp(now());
  auto lease = pool_.lease(kLeaseTimeout);
  pqxx::read_transaction tx(lease.conn());
  std::string where;
  auto add = [&](const std::string& column, const std::string& value) {
    if (value.empty()) return;
    where += (where.empty() ? " WHERE " : " AND ") + column + " = " + tx.quote(value);
  };
  add("t.status", f.status);
  add("t.topic", f.topic);
  add("t.house", f.house);
  add("t.account", f.account);
  add("t.assignee", f.assignee);
  add("t.channel", f.channel);
  if (f.overdue_only) {
    where += std::string(where.empty() ? " WHERE " : " AND ") +
             "t.resolved_at IS NULL AND t.sla_paused_at IS NULL AND t.due_at < $1::timestamptz";
  }
  TicketPage page;
  const auto rows = tx.exec_params("SELECT " + ticket_columns() + ", count(*) OVER () " +
                                       "FROM tickets.ticket t" + where +
                                       " ORDER BY t.created_at DESC, t.id DESC LIMIT " +
                                       std::to_string(std::clamp(f.limit, 1, 1000)) + " OFFSET " +
                                       std::to_string(std::max(0, f.offset)),
                                   now_text);
  for (const auto& r : rows) {
    page.items.push_back(ticket_from_row(r));
    page.total = r[24].as<long long>();
  }
  if (rows.empty() && f.offset > 0) {
    // Past the last page: the window count is not there, count on its own ($1 is always bound).
    page.total =
        tx.exec_params1("SELECT count(*) FROM tickets.ticket t" + where +
                            (where.empty() ? " WHERE " : " AND ") + "$1::timestamptz IS NOT NULL",
                        now_text)[0]
            .as<long long>();
  }
  return page;
}

ChangeResult TicketStore::change(long long id, const TicketChange& ch) {
  const auto at_text = xml::format_timestamp(ch.at ? *ch.at : now());
  const auto actor = ch.actor.empty() ? std::string("unknown") : ch.actor;
  auto lease = pool_.lease(kLeaseTimeout);
  pqxx::work tx(lease.conn());
  const auto cur =
      tx.exec_params("SELECT status, coalesce(assignee, ''), topic, " + ts("due_at") + ", " +
                         ts("sla_paused_at") + " FROM tickets.ticket WHERE id = $1 FOR UPDATE",
                     id);
  if (cur.empty()) throw TicketNotFound("no ticket " + std::to_string(id));
  ChangeResult result;
  if (!ch.message_id.empty()) {
    // The ticket row is locked: a concurrent redelivery of the same message waits here and then
    // sees the events this one wrote.
    const auto seen = tx.exec_params(
        "SELECT 1 FROM tickets.ticket_event WHERE message_id = $1::uuid LIMIT 1", ch.message_id);
    if (!seen.empty()) {
      result.duplicate = true;
      return result;
    }
  }
  const auto from = cur[0][0].as<std::string>();
  const auto current_assignee = cur[0][1].as<std::string>();
  bool comment_used = false;

  if (ch.must_move && ch.status && *ch.status == from) {
    refuse(TransitionRefused(from, from, model_->allowed_from(from),
                             "ticket " + std::to_string(id) + " is already '" + from +
                                 "' (allowed: " + join(model_->allowed_from(from)) + ")"));
  }
  if (ch.status && *ch.status != from) {
    const auto& to = *ch.status;
    const auto& allowed = model_->allowed_from(from);
    if (!model_->status(to)) {
      refuse(TransitionRefused(from, to, allowed,
                               "unknown status '" + to + "' (from '" + from +
                                   "' the model allows: " + join(allowed) + ")"));
    }
    if (!model_->allows(from, to)) {
      const auto* fs = model_->status(from);
      std::string why =
          "ticket " + std::to_string(id) + " cannot move from '" + from + "' to '" + to + "'";
      if (!fs) {
        why += ": status '" + from + "' is no longer in the model";
      } else if (fs->terminal) {
        why += ": '" + from + "' is terminal";
      } else {
        why += " (allowed: " + join(allowed) + ")";
      }
      refuse(TransitionRefused(from, to, allowed, why));
    }
    const bool resolved = model_->is_resolved(to);
    // The SLA clock: held while a pauses_sla status waits for the resident; on leaving it the
    // deadline moves on by the time spent waiting.
    auto due = cur[0][3].as<std::string>();
    auto paused = cur[0][4].as<std::string>();
    if (resolved) {
      paused.clear();
    } else if (model_->pauses_sla(to)) {
      if (paused.empty()) paused = at_text;
    } else if (!paused.empty()) {
      if (!due.empty()) {
        due = xml::format_timestamp(
            model_->resume_due(cur[0][2].as<std::string>(), xml::parse_timestamp(due),
                               xml::parse_timestamp(paused), xml::parse_timestamp(at_text)));
      }
      paused.clear();
    }
    tx.exec_params(
        "UPDATE tickets.ticket SET status = $2, updated_at = $3::timestamptz, resolved_at = CASE "
        "WHEN $4 THEN coalesce(resolved_at, $3::timestamptz) ELSE NULL END, "
        "due_at = NULLIF($5, '')::timestamptz, sla_paused_at = NULLIF($6, '')::timestamptz "
        "WHERE id = $1",
        id, to, at_text, resolved, due, paused);
    const auto body = ch.comment ? trim(*ch.comment) : std::string();
    result.event_ids.push_back(insert_event(tx, id, "status_changed", from, to, "", body,
                                            ch.internal, actor, ch.message_id, at_text));
    metrics::Registry::global().add("zhkh_tickets_transitions_total", {{"to", to}});
    comment_used = true;
  }
  if (ch.assignee && *ch.assignee != current_assignee) {
    const auto who = trim(*ch.assignee);
    if (who.empty()) throw InvalidTicket("the assignee must not be empty");
    tx.exec_params(
        "UPDATE tickets.ticket SET assignee = $2, updated_at = $3::timestamptz WHERE id = $1", id,
        who, at_text);
    result.event_ids.push_back(
        insert_event(tx, id, "assigned", "", "", who, "", false, actor, ch.message_id, at_text));
  }
  if (ch.comment && !comment_used) {
    const auto body = trim(*ch.comment);
    if (body.empty()) throw InvalidTicket("a comment needs a text");
    tx.exec_params("UPDATE tickets.ticket SET updated_at = $2::timestamptz WHERE id = $1", id,
                   at_text);
    result.event_ids.push_back(insert_event(tx, id, "comment", "", "", "", body, ch.internal, actor,
                                            ch.message_id, at_text));
  }
  add_attachments(tx, id, ch.attachments, actor, ch.message_id, at_text, result.event_ids);
  tx.commit();
  result.applied = !result.event_ids.empty();
  if (result.applied && ch.message_id.empty() && on_change_) on_change_();
  return result;
}

ChangeResult TicketStore::transition(long long id, const std::string& to,
                                     const std::string& comment, const std::string& actor) {
  TicketChange ch;
  ch.status = to;
  if (!trim(comment).empty()) ch.comment = comment;
  ch.actor = actor;
  ch.must_move = true;  // an operator asked for a transition: "already there" is a refusal
  return change(id, ch);
}

ChangeResult TicketStore::comment(long long id, const std::string& text, bool internal,
                                  const std::string& actor) {
  if (trim(text).empty()) throw InvalidTicket("a comment needs a text");
  TicketChange ch;
  ch.comment = text;
  ch.internal = internal;
  ch.actor = actor;
  return change(id, ch);
}

ChangeResult TicketStore::assign(long long id, const std::string& assignee,
                                 const std::string& actor) {
  if (trim(assignee).empty()) throw InvalidTicket("the assignee must not be empty");
  TicketChange ch;
  ch.assignee = assignee;
  ch.actor = actor;
  return change(id, ch);
}

int TicketStore::record_sla_breaches() {
  const auto at_text = xml::format_timestamp(now());
  auto lease = pool_.lease(kLeaseTimeout);
  pqxx::work tx(lease.conn());
  const auto r = tx.exec_params(
      "WITH breached AS (UPDATE tickets.ticket SET sla_breached_at = $1::timestamptz "
      "WHERE resolved_at IS NULL AND sla_paused_at IS NULL AND sla_breached_at IS NULL "
      "AND due_at < $1::timestamptz "
      "RETURNING id, status, due_at) "
      "INSERT INTO tickets.ticket_event (ticket_id, kind, to_status, body, actor, at) "
      "SELECT id, 'sla_breached', status, 'срок истёк ' || " +
          std::string("to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')") +
          ", 'sla', $1::timestamptz FROM breached RETURNING id",
      at_text);
  const auto overdue =
      tx.exec_params1(
            "SELECT count(*) FROM tickets.ticket WHERE resolved_at IS NULL AND sla_paused_at IS "
            "NULL AND due_at < "
            "$1::timestamptz",
            at_text)[0]
          .as<double>();
  tx.commit();
  auto& m = metrics::Registry::global();
  if (!r.empty()) m.add("zhkh_tickets_sla_breaches_total", {}, static_cast<double>(r.size()));
  m.set("zhkh_tickets_overdue", {}, overdue);
  return static_cast<int>(r.size());
}

}  // namespace hub::tickets

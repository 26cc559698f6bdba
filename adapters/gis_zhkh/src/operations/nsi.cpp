#include "nsi.h"

#include "../xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

constexpr const char* kNsiCommonNs = "http://dom.gosuslugi.ru/schema/integration/nsi-common/";
constexpr const char* kNsiBaseNs = "http://dom.gosuslugi.ru/schema/integration/nsi-base/";

}  // namespace

BuiltRequest build_export_nsi_page(int registry, int page) {
  BuiltRequest req{"exportNsiPagingItem",
                   "nsi-common",
                   "exportNsiPagingItemRequest",
                   kNsiCommonNs,
                   "10.0.1.2",
                   {},
                   {}};
  req.body = std::string("<nsic:exportNsiPagingItemRequest xmlns:nsic=\"") + kNsiCommonNs +
             "\" xmlns:nb=\"" + kNsiBaseNs + "\" xmlns:base=\"" + kBaseNs +
             "\" Id=\"signed-data-container\" base:version=\"10.0.1.2\"><nsic:RegistryNumber>" +
             std::to_string(registry) +
             "</nsic:RegistryNumber><nb:ListGroup>NSI</nb:ListGroup>"
             "<nsic:Page>" +
             std::to_string(page) + "</nsic:Page></nsic:exportNsiPagingItemRequest>";
  req.objects.push_back({"", "nsi", std::to_string(registry), std::to_string(page)});
  return req;
}

Handled handle_export_nsi_page(const ResultInput& in) {
  Handled h;
  xmlNodePtr item = nullptr;
  for (xmlNodePtr e : elements(in.result)) {
    if (child(e, "NsiItemRegistryNumber")) item = e;
    for (xmlNodePtr d : elements(e))
      if (!item && child(d, "NsiItemRegistryNumber")) item = d;
  }
  const std::string registry = in.objects.empty() ? "?" : in.objects.front().ref;
  const int page = in.objects.empty() ? 1 : std::atoi(in.objects.front().data.c_str());
  std::string lines;
  std::size_t n = 0;
  for (xmlNodePtr el : children(item, "NsiElement")) {
    ++n;
    std::string name;
    for (xmlNodePtr f : children(el, "NsiElementField")) {
      if (name.empty()) name = child_text(f, "Value");
    }
    lines += "\n" + child_text(el, "Code") + "=" + child_text(el, "GUID") +
             (name.empty() ? "" : " " + name);
  }
  // Where the pages stand: TotalPages / CurrentPage beside or inside the item.
  auto find_text = [&](const char* local) {
    std::string v = child_text(in.result, local);
    for (xmlNodePtr e : elements(in.result))
      if (v.empty()) v = child_text(e, local);
    return v;
  };
  const int total = std::atoi(find_text("TotalPages").c_str());
  h.summary = "NSI " + registry + " page " + std::to_string(page) +
              (total ? " of " + std::to_string(total) : "") + ": " + std::to_string(n) +
              " elements" + lines;
  if (total > page)
    h.follow_ups.push_back(build_export_nsi_page(std::atoi(registry.c_str()), page + 1));
  return h;
}

}  // namespace hub::adapters::gis_zhkh

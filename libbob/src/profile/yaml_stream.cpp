#include "yaml_stream.h"

#include <yaml-cpp/eventhandler.h>

#include <sstream>

namespace bob::profile::detail {
namespace {

// Notes where each document starts; nothing else is kept, so the extra pass stays cheap.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  const YAML::Mark& last() const { return last_; }

 private:
  YAML::Mark last_ = YAML::Mark::null_mark();
};

// Walks the stream with the event parser and throws where it stops making progress: a
// document that starts at the same place as the one before it consumed nothing.
void check_stream_ends(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  int previous = -1;
  while (parser.HandleNextDocument(starts)) {
    int position = starts.last().pos;
    if (position == previous)
      throw YAML::ParserException(starts.last(),
                                  "unexpected ',' after a complete value (outside any flow "
                                  "collection)");
    previous = position;
  }
}

}  // namespace

std::vector<YAML::Node> load_all_yaml(const std::string& text) {
  check_stream_ends(text);
  return YAML::LoadAll(text);
}

}  // namespace bob::profile::detail

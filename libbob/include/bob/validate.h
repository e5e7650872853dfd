// Checking profiles the way Kubescape will read them, with every problem located.
//
// Errors are what Kubescape would reject or silently misread (wrong types, unknown names);
// warnings are what it accepts but what will not do what the author meant (a wildcard it
// cannot match, an unrendered Helm placeholder, server bookkeeping left in). The messages are
// listed in docs/profile-model.md.
#pragma once

#include <string>
#include <vector>

#include "bob/profile.h"

namespace bob::profile {

enum class Severity { error, warning };

struct Problem {
  std::string file;
  int line = 1;    // 0 (with column 0): no position, the file could not be read at all
  int column = 1;
  Severity severity = Severity::error;
  std::string pointer;  // JSON pointer into the document ("" is the document itself)
  std::string message;  // one plain sentence
  std::string hint;     // what to do about it
};

// Never throws for bad content: an unreadable or unparsable file is one error problem.
std::vector<Problem> validate_string(const std::string& text, const std::string& source_name);
std::vector<Problem> validate_file(const std::string& path);

// load_file for commands that process and write profiles (merge, summarize, diff): a document
// `validate` rejects is refused with Error(usage) naming the first error and the error count,
// so nothing is built from, or written for, a profile Kubescape would reject. Warnings pass.
std::vector<Profile> load_file_checked(const std::string& path);

// `file:line:column: error|warning: <pointer>: <sentence>`
std::string format_problem(const Problem& problem);
Json problem_to_json(const Problem& problem);

}  // namespace bob::profile

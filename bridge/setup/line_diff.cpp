#include "bridge/setup/line_diff.hpp"

#include <algorithm>
#include <vector>

namespace mrb::setup {
namespace {

// Lines keep their terminator, so "no newline at end of file" falls out of the comparison.
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    const auto end = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

struct op {
  char kind;  // ' ', '-', '+'
  std::size_t a;  // index in before (for ' ' and '-')
  std::size_t b;  // index in after (for ' ' and '+')
};

std::string range(std::size_t start, std::size_t count) {
  // diff(1): an empty range is written as the line before it.
  if (count == 0) return std::to_string(start) + ",0";
  if (count == 1) return std::to_string(start + 1);
  return std::to_string(start + 1) + "," + std::to_string(count);
}

}  // namespace

std::string line_diff::unified(const std::string& before, const std::string& after, const std::string& from_name,
                               const std::string& to_name, std::size_t context) {
  if (before == after) return {};
  const auto a = split_lines(before);
  const auto b = split_lines(after);
  // Common prefix and suffix first: config edits are local, so the LCS table stays small.
  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  const std::size_t n = a.size() - prefix - suffix;
  const std::size_t m = b.size() - prefix - suffix;
  std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[prefix + i] == b[prefix + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<op> ops;
  for (std::size_t i = 0; i < prefix; ++i) ops.push_back({' ', i, i});
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[prefix + i] == b[prefix + j]) {
      ops.push_back({' ', prefix + i++, prefix + j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', prefix + i++, prefix + j});  // removals first, as diff -u prints them
    } else {
      ops.push_back({'+', prefix + i, prefix + j++});
    }
  }
  for (std::size_t k = 0; k < suffix; ++k) ops.push_back({' ', prefix + n + k, prefix + m + k});

  std::string out = "--- " + from_name + "\n+++ " + to_name + "\n";
  std::size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2*context lines away.
    std::size_t start = k >= context ? k - context : 0;
    while (start < k && ops[start].kind != ' ') ++start;
    std::size_t end = k;
    std::size_t last_change = k;
    while (end < ops.size()) {
      if (ops[end].kind != ' ') last_change = end;
      if (end - last_change > 2 * context) break;
      ++end;
    }
    end = std::min(ops.size(), last_change + context + 1);
    std::size_t a_start = ops[start].a;
    std::size_t b_start = ops[start].b;
    std::size_t a_count = 0;
    std::size_t b_count = 0;
    std::string body;
    for (std::size_t x = start; x < end; ++x) {
      const auto& o = ops[x];
      const std::string& line = o.kind == '+' ? b[o.b] : a[o.a];
      if (o.kind != '+') ++a_count;
      if (o.kind != '-') ++b_count;
      body += o.kind + line;
      if (line.empty() || line.back() != '\n') body += "\n\\ No newline at end of file\n";
    }
    out += "@@ -" + range(a_start, a_count) + " +" + range(b_start, b_count) + " @@\n" + body;
    k = end;
  }
  return out;
}

}  // namespace mrb::setup

#include "platform/iptables.hpp"

#include <utility>

namespace overlayd::platform {

namespace {

// A program that deletes "successfully" forever would otherwise hang the
// caller; no real table holds this many copies of one of our rules.
constexpr int max_deletions = 256;

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

} // namespace

iptables::iptables(command_runner& runner, net::ip_address::family family)
    : runner_(runner), program_(family == net::ip_address::family::v4 ? "iptables" : "ip6tables") {
}

result<command_output> iptables::run(const std::string& table, std::vector<std::string> words) {
  std::vector<std::string> argv{program_, "-w", "-t", table};
  argv.insert(argv.end(), std::make_move_iterator(words.begin()),
              std::make_move_iterator(words.end()));
  return runner_.run(argv);
}

error iptables::refused(const std::vector<std::string>& words, const command_output& output) const {
  std::string command = program_;
  for (const auto& word : words)
    command += " " + word;
  auto reason = first_line(output.err);
  if (reason.empty())
    reason = "exit status " + std::to_string(output.exit_code);
  return make_error(command + ": " + reason);
}

result<bool> iptables::has_rule(const std::string& table, const std::string& chain,
                                const rule_spec& spec) {
  std::vector<std::string> words{"-C", chain};
  words.insert(words.end(), spec.begin(), spec.end());
  auto output = run(table, words);
  if (!output)
    return output.err();
  return output->exit_code == 0;
}

result<void> iptables::insert_rule(const std::string& table, const std::string& chain,
                                   const rule_spec& spec) {
  return change(table, {"-I", chain, "1"}, spec);
}

result<void> iptables::append_rule(const std::string& table, const std::string& chain,
                                   const rule_spec& spec) {
  return change(table, {"-A", chain}, spec);
}

result<void> iptables::change(const std::string& table, std::vector<std::string> words,
                              const rule_spec& spec) {
  words.insert(words.end(), spec.begin(), spec.end());
  auto output = run(table, words);
  if (!output)
    return output.err();
  if (output->exit_code != 0)
    return refused(words, *output);
  return {};
}

result<bool> iptables::delete_rule(const std::string& table, const std::string& chain,
                                   const rule_spec& spec) {
  std::vector<std::string> words{"-D", chain};
  words.insert(words.end(), spec.begin(), spec.end());
  auto output = run(table, words);
  if (!output)
    return output.err();
  return output->exit_code == 0;
}

result<int> iptables::delete_every(const std::string& table, const std::string& chain,
                                   const rule_spec& spec) {
  int deleted = 0;
  while (deleted < max_deletions) {
    auto one = delete_rule(table, chain, spec);
    if (!one)
      return one.err();
    if (!*one)
      break;
    ++deleted;
  }
  return deleted;
}

result<std::vector<rule_spec>> iptables::list_rules(const std::string& table,
                                                    const std::string& chain) {
  std::vector<std::string> words{"-S", chain};
  auto output = run(table, words);
  if (!output)
    return output.err();
  if (output->exit_code != 0)
    return refused(words, *output);
  std::vector<rule_spec> rules;
  std::size_t start = 0;
  const auto& text = output->out;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    auto words_of_line = split_rule_line(std::string_view(text).substr(start, end - start));
    // "-P INPUT ACCEPT" / "-N CHAIN" lines describe the chain, not a rule.
    if (words_of_line.size() >= 2 && words_of_line[0] == "-A" && words_of_line[1] == chain)
      rules.emplace_back(words_of_line.begin() + 2, words_of_line.end());
    start = end + 1;
  }
  return rules;
}

result<void> iptables::create_chain(const std::string& table, const std::string& chain) {
  std::vector<std::string> words{"-N", chain};
  auto output = run(table, words);
  if (!output)
    return output.err();
  if (output->exit_code == 0)
    return {};
  // Already there (a previous run, or a racing call) is what we wanted.
  if (auto listed = list_rules(table, chain); listed.ok())
    return {};
  return refused(words, *output);
}

result<bool> iptables::flush_chain(const std::string& table, const std::string& chain) {
  auto output = run(table, {"-F", chain});
  if (!output)
    return output.err();
  return output->exit_code == 0;
}

result<bool> iptables::delete_chain(const std::string& table, const std::string& chain) {
  auto output = run(table, {"-X", chain});
  if (!output)
    return output.err();
  return output->exit_code == 0;
}

std::vector<std::string> split_rule_line(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
      ++i;
    if (i >= line.size())
      break;
    std::string word;
    if (line[i] == '"') {
      // iptables quotes a value holding anything beyond [A-Za-z0-9_-] and
      // escapes ", \ and ' inside it with a backslash.
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size())
          ++i;
        word += line[i];
      }
      ++i; // the closing quote
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
        word += line[i++];
    }
    words.push_back(std::move(word));
  }
  return words;
}

} // namespace overlayd::platform

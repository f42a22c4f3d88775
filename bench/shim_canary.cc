// Canaries (shim.h: sb_canary): a few of the registered benchmarks run
// again, briefly, before the others, between their two halves and after
// them, so that a run shows whether the machine moved while it ran, and two
// runs whether it moved between them. Everything lands in one report, the
// way one RunSpecifiedBenchmarks() call writes it: the console as it goes,
// and one Google Benchmark JSON document (--benchmark_out) with one context
// and one "benchmarks" list. The canaries' entries are renamed
// <canary>/at:start|mid|end (+ the instance's arguments and time type).
//
// Google Benchmark 1.7.1 runs one filter per RunSpecifiedBenchmarks() call
// and reopens --benchmark_out at each; so the phases take the output file
// over, list the instances the user's filter selects (--benchmark_list_tests
// into a string), and run each phase with an exact alternation of names.
// The user's instances are dealt into two halves alternately (every family
// in both); within a phase, --benchmark_enable_random_interleaving works as
// usual.
#include "shim.h"

#include <benchmark/benchmark.h>

#include <regex.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

// libbenchmark 1.7.1 defines and exports these, but declares them only in
// its private headers (commandlineflags.h, benchmark.cc).
namespace benchmark {
extern std::string FLAGS_benchmark_out;
extern std::string FLAGS_benchmark_out_format;
extern std::string FLAGS_benchmark_format;
extern bool FLAGS_benchmark_list_tests;
extern bool FLAGS_benchmark_enable_random_interleaving;
extern int32_t FLAGS_benchmark_repetitions;
extern double FLAGS_benchmark_min_time;
namespace internal {
ConsoleReporter::OutputOptions GetOutputOptions(bool force_no_color);
} // namespace internal
} // namespace benchmark

namespace {

using benchmark::BenchmarkReporter;

// Each canary phase: this many repetitions of this minimum time, whatever
// the suite's settings, so that canaries compare across suites.
const int kCanaryReps = 5;
const double kCanaryMinTime = 0.05;

struct Canary {
  std::string name, pattern;
};
std::vector<Canary> g_canaries;

// Prints nothing and runs nothing: collects --benchmark_list_tests.
class Lister : public BenchmarkReporter {
public:
  std::ostringstream out, err;
  Lister() {
    SetOutputStream(&out);
    SetErrorStream(&err);
  }
  bool ReportContext(const Context &) override {
    return false;
  }
  void ReportRuns(const std::vector<Run> &) override {
  }
};

// The instances spec selects, in registration order; on an error (a bad
// regex) Google Benchmark's message goes to stderr.
std::vector<std::string> list(const std::string &spec) {
  Lister l;
  std::vector<std::string> names;
  benchmark::FLAGS_benchmark_list_tests = true;
  benchmark::RunSpecifiedBenchmarks(&l, nullptr, spec);
  benchmark::FLAGS_benchmark_list_tests = false;
  std::istringstream in(l.out.str());
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      names.push_back(line);
  if (names.empty() && l.err.str().find("Failed to match") == std::string::npos)
    std::fputs(l.err.str().c_str(), stderr);
  return names;
}

// ^(a|b|c)$ with every name taken literally (POSIX extended syntax).
std::string alternation(const std::vector<std::string> &names) {
  std::string re = "^(";
  for (std::size_t i = 0; i < names.size(); i++) {
    if (i)
      re += '|';
    for (char c : names[i]) {
      if (std::string(".[]{}()\\*+?^$|").find(c) != std::string::npos)
        re += '\\';
      re += c;
    }
  }
  return re + ")$";
}

// The first instance matching the pattern, or "".
std::string first_match(const std::vector<std::string> &names,
                        const std::string &pattern) {
  regex_t re;
  std::string hit;
  if (regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0)
    return hit;
  for (const std::string &n : names)
    if (regexec(&re, n.c_str(), 0, nullptr, 0) == 0) {
      hit = n;
      break;
    }
  regfree(&re);
  return hit;
}

// Forwards every phase to the real reporters as one run: their context
// once, their Finalize once (finish()), canary runs renamed, family indices
// made unique across phases.
class Phases : public BenchmarkReporter {
public:
  std::vector<BenchmarkReporter *> to;
  std::map<std::string, std::string> rename; // instance -> canary prefix
  std::size_t width = 0;

  void next_phase() {
    base_ = next_;
  }
  bool ReportContext(const Context &c) override {
    if (started_)
      return true;
    started_ = true;
    Context wide = c;
    wide.name_field_width = std::max(c.name_field_width, width);
    bool ok = true;
    for (BenchmarkReporter *r : to)
      ok = r->ReportContext(wide) && ok;
    return ok;
  }
  void ReportRuns(const std::vector<Run> &runs) override {
    std::vector<Run> out(runs);
    for (Run &r : out) {
      auto it = rename.find(r.run_name.str());
      if (it != rename.end())
        r.run_name.function_name = it->second;
      r.family_index += base_;
      next_ = std::max(next_, r.family_index + 1);
    }
    for (BenchmarkReporter *r : to)
      r->ReportRuns(out);
  }
  void Finalize() override {
  }
  void finish() {
    for (BenchmarkReporter *r : to)
      r->Finalize();
  }

private:
  bool started_ = false;
  int64_t base_ = 0, next_ = 0;
};

std::unique_ptr<BenchmarkReporter> make_reporter(const std::string &format,
                                                 bool display) {
  if (format == "json")
    return std::unique_ptr<BenchmarkReporter>(new benchmark::JSONReporter());
  if (format != "console")
    return nullptr;
  return std::unique_ptr<BenchmarkReporter>(new benchmark::ConsoleReporter(
      display ? benchmark::internal::GetOutputOptions(false)
              : benchmark::ConsoleReporter::OO_None));
}

// One phase: names with the given settings (reps 0: the user's).
void run_phase(Phases &p, const std::vector<std::string> &names, int reps,
               double min_time) {
  if (names.empty())
    return;
  int32_t saved_reps = benchmark::FLAGS_benchmark_repetitions;
  double saved_min = benchmark::FLAGS_benchmark_min_time;
  bool saved_rand = benchmark::FLAGS_benchmark_enable_random_interleaving;
  if (reps > 0) {
    benchmark::FLAGS_benchmark_repetitions = reps;
    benchmark::FLAGS_benchmark_min_time = min_time;
    benchmark::FLAGS_benchmark_enable_random_interleaving = true;
  }
  p.next_phase();
  benchmark::RunSpecifiedBenchmarks(&p, nullptr, alternation(names));
  benchmark::FLAGS_benchmark_repetitions = saved_reps;
  benchmark::FLAGS_benchmark_min_time = saved_min;
  benchmark::FLAGS_benchmark_enable_random_interleaving = saved_rand;
}

// The canary instances (of every registered one, whatever the filter) and
// the names they are reported under at position at.
std::vector<std::string> canary_phase(Phases &p, const std::string &at,
                                      const std::vector<std::string> &all) {
  std::vector<std::string> names;
  p.rename.clear();
  for (const Canary &c : g_canaries) {
    std::string hit = first_match(all, c.pattern);
    if (hit.empty()) {
      if (at == "start")
        std::fprintf(stderr,
                     "sockpair-bench: canary %s: no benchmark "
                     "matches %s\n",
                     c.name.c_str(), c.pattern.c_str());
      continue;
    }
    names.push_back(hit);
    p.rename[hit] = c.name + "/at:" + at;
  }
  return names;
}

struct Halves {
  std::vector<std::string> first, second;
};

Halves deal(const std::vector<std::string> &names) {
  Halves h;
  for (std::size_t i = 0; i < names.size(); i++)
    (i % 2 ? h.second : h.first).push_back(names[i]);
  return h;
}

// The console's name column: the longest name or canary name (its name,
// "/at:start", then the instance's arguments and time type: "/bytes:65536
// /manual_time" is 24), and an aggregate's suffix ("_stddev").
std::size_t name_width(const std::vector<std::string> &names) {
  std::size_t w = 10;
  for (const std::string &n : names)
    w = std::max(w, n.size());
  for (const Canary &c : g_canaries)
    w = std::max(w, c.name.size() + 9 + 32);
  return w + 8;
}

} // namespace

extern "C" void sb_canary(const char *name, const char *pattern) {
  g_canaries.push_back(Canary{name, pattern});
}

// sb_main's run: plain Google Benchmark without canaries (or when only
// listing, or for the CSV format); else the five phases. Returns the
// number of the user's benchmarks run (0: none matched), or -1 when the
// output file cannot be written.
long sb_run_with_canaries() {
  namespace bm = benchmark;
  std::unique_ptr<BenchmarkReporter> display =
      make_reporter(bm::FLAGS_benchmark_format, true);
  std::unique_ptr<BenchmarkReporter> file =
      make_reporter(bm::FLAGS_benchmark_out_format, false);
  if (!g_canaries.empty() && (!display || !file))
    std::fprintf(stderr, "sockpair-bench: no canaries in the CSV format "
                         "(console and json only)\n");
  if (g_canaries.empty() || bm::FLAGS_benchmark_list_tests || !display || !file)
    return static_cast<long>(bm::RunSpecifiedBenchmarks());
  std::string out_path = bm::FLAGS_benchmark_out;
  bm::FLAGS_benchmark_out.clear(); // the phases write it, once
  std::vector<std::string> mine = list(bm::GetBenchmarkFilter());
  std::vector<std::string> all = list(".");
  if (mine.empty())
    return 0;
  std::ofstream out;
  Phases p;
  p.to.push_back(display.get());
  if (!out_path.empty()) {
    out.open(out_path);
    if (!out.is_open()) {
      std::fprintf(stderr, "sockpair-bench: cannot write %s\n",
                   out_path.c_str());
      return -1;
    }
    file->SetOutputStream(&out);
    file->SetErrorStream(&out);
    p.to.push_back(file.get());
  }
  p.width = name_width(mine);
  Halves h = deal(mine);
  run_phase(p, canary_phase(p, "start", all), kCanaryReps, kCanaryMinTime);
  p.rename.clear();
  run_phase(p, h.first, 0, 0);
  run_phase(p, canary_phase(p, "mid", all), kCanaryReps, kCanaryMinTime);
  p.rename.clear();
  run_phase(p, h.second, 0, 0);
  run_phase(p, canary_phase(p, "end", all), kCanaryReps, kCanaryMinTime);
  p.finish();
  out.close();
  if (!out_path.empty() && out.fail()) {
    std::fprintf(stderr, "sockpair-bench: cannot write %s\n", out_path.c_str());
    return -1;
  }
  return static_cast<long>(mine.size());
}

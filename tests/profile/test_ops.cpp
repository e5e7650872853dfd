// summarize, diff and merge on real profiles from two distros.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/profile.h"
#include "bob/profile_ops.h"

using namespace bob::profile;

namespace {

const std::string kStudy = std::string(BOB_SOURCE_ROOT) + "/testdata/corpus/bobctl/testdata/parameterstudy";

Profile one(const std::string& relative) { return load_file(kStudy + "/" + relative).front(); }

std::size_t count(const std::vector<Difference>& d, const std::string& field, char change) {
  return static_cast<std::size_t>(std::count_if(d.begin(), d.end(), [&](const Difference& x) {
    return x.field == field && x.change == change;
  }));
}

bool has(const std::vector<Difference>& d, const std::string& field, char change, const std::string& item) {
  return std::any_of(d.begin(), d.end(), [&](const Difference& x) {
    return x.field == field && x.change == change && x.item == item;
  });
}

// True when `big` allows everything `small` allows: no removal, and no changed entry that loses
// anything (a '~' detail may only hold '+' tokens).
bool covers(const Profile& small, const Profile& big) {
  for (const auto& d : diff(small, big)) {
    if (d.change == '-') return false;
    if (d.change == '~' && d.detail.find(" -") != std::string::npos) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("summarize reproduces the prototype's redisbob row byte for byte") {
  auto rows = summarize(one("redis/redisbob/statefulset-bob-redis-master_bob.yaml"));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].component == "rs-bob-redis-master");
  CHECK(rows[0].capabilities == std::vector<std::string>{"DAC_OVERRIDE", "DAC_READ_SEARCH", "NET_ADMIN"});
  CHECK(rows[0].endpoints == 0);
  CHECK(rows[0].opens == 21);
  CHECK(rows[0].execs == 5);
  CHECK(rows[0].syscalls == 119);
  std::istringstream golden(bob::fs::read_file(kStudy + "/redis/redisbob/attacksurface.md"));
  std::string line;
  std::getline(golden, line);
  std::getline(golden, line);
  std::getline(golden, line);  // the data row
  std::istringstream ours(summary_markdown(rows));
  std::string our_line;
  std::getline(ours, our_line);
  std::getline(ours, our_line);
  std::getline(ours, our_line);
  CHECK(our_line == line);
}

TEST_CASE("summary formats: csv and json carry the same numbers") {
  auto rows = summarize(one("webapp/bob6k3s.yaml"));
  REQUIRE(rows.size() == 1);
  CHECK(summary_csv(rows) ==
        "component,container,type,capabilities,net,opens,execs,syscalls\n"
        "rs-webapp-mywebapp,mywebapp-app,container,DAC_OVERRIDE SETGID SETUID,1,142,12,86\n");
  auto json = summary_json(rows);
  CHECK(json[0]["net"] == 1);
  CHECK(json[0]["capabilities"].size() == 3);
}

TEST_CASE("component names are shortened like the prototype's") {
  CHECK(short_component_name("replicaset-webapp-mywebapp-67965968bb") == "rs-webapp-mywebapp");
  CHECK(short_component_name("statefulset-bob-redis-master-668c4559b4") == "rs-bob-redis-master");
  CHECK(short_component_name("deployment-api-other-k8s-1-30-0") == "deploy-api");
  CHECK(short_component_name("cronjob-backup") == "cj-backup");
  CHECK(short_component_name("curing-server") == "curing-server");
}

TEST_CASE("diff of the webapp learned on k3s and on GKE lists exactly the differences") {
  auto k3s = one("webapp/bob6k3s.yaml");
  auto gke = one("webapp/bob6587gke.yaml");
  auto d = diff(k3s, gke);
  CHECK(d.size() == 22);
  CHECK(count(d, "syscalls", '-') == 10);
  CHECK(count(d, "syscalls", '+') == 3);
  CHECK(has(d, "syscalls", '+', "madvise"));
  CHECK(has(d, "syscalls", '-', "vfork"));
  CHECK(count(d, "execs", '-') == 2);
  CHECK(has(d, "execs", '-', "/bin/sh [/bin/sh -c ping -c 4 172.16.0.2]"));
  CHECK(count(d, "opens", '-') == 5);
  CHECK(count(d, "opens", '+') == 1);
  CHECK(has(d, "opens", '-', "/proc/\xE2\x8B\xAF/mounts"));
  CHECK(has(d, "opens", '+', "/run/apache2/apache2.pid.C2I54g"));
  CHECK(has(d, "endpoints", '-', ":8080/ping.php inbound"));
  CHECK(d.front().container == "mywebapp-app");
  CHECK(diff_json(d)["different"] == true);
  // Volatile metadata differs between the files, but is not behaviour.
  CHECK(diff(k3s, k3s).empty());
}

TEST_CASE("diff of the redis profiles from Ubuntu 22.04/k3s and 24.04/kind") {
  auto a = one("redis/bob-redis-ubuntu-22.04-k3s-v1.30.0.yaml");
  auto b = one("redis/bob-redis-ubuntu-24.04-kind-v1.33.0.yaml");
  auto d = diff(a, b);
  CHECK(d.size() == 21);
  CHECK(count(d, "syscalls", '+') == 7);
  CHECK(count(d, "syscalls", '-') == 0);
  CHECK(has(d, "syscalls", '+', "close_range"));
  CHECK(count(d, "opens", '-') == 7);
  CHECK(count(d, "opens", '+') == 7);
  CHECK(has(d, "opens", '+', "/proc/filesystems"));
  CHECK(count(d, "execs", '+') + count(d, "execs", '-') == 0);
}

TEST_CASE("diff sees flag, policy and endpoint changes inside one entry") {
  auto a = one("redis/bob-redis-ubuntu-22.04-k3s-v1.30.0.yaml");
  auto b = a;
  b.containers[0].opens[0].flags.push_back("O_NOFOLLOW");
  b.containers[0].rule_policies["R0001"].process_allowed.push_back("sh");
  b.containers[0].rule_policies.erase("R1010");
  auto d = diff(a, b);
  REQUIRE(d.size() == 3);
  CHECK(has(d, "opens", '~', a.containers[0].opens[0].path));
  CHECK(has(d, "rulePolicies", '-', "R1010"));
  CHECK(has(d, "rulePolicies", '~', "R0001"));
  CHECK(diff_text(d).find("~ opens " + a.containers[0].opens[0].path + ": flags +O_NOFOLLOW") != std::string::npos);
  CHECK(diff_text(d).find("~ rulePolicies R0001: processAllowed +sh") != std::string::npos);
}

TEST_CASE("merge of the two webapp profiles is their superset") {
  auto k3s = one("webapp/bob6k3s.yaml");
  auto gke = one("webapp/bob6587gke.yaml");
  auto merged = merge({k3s, gke});
  REQUIRE(merged.containers.size() == 1);
  const auto& c = merged.containers[0];
  CHECK(c.execs.size() == 12);
  CHECK(c.opens.size() == 143);
  CHECK(c.syscalls.size() == 89);
  CHECK(c.capabilities.size() == 3);
  CHECK(c.endpoints.size() == 1);
  CHECK(c.rule_policies.size() == 26);
  CHECK(covers(k3s, merged));
  CHECK(covers(gke, merged));
  CHECK_FALSE(merged.metadata.contains("uid"));
  CHECK_FALSE(merged.metadata["annotations"].contains("kubescape.io/resource-size"));
  CHECK(merged.name() == k3s.name());
  CHECK(std::is_sorted(c.syscalls.begin(), c.syscalls.end()));
}

TEST_CASE("merge of the two redis profiles is their superset, and merge is idempotent") {
  auto a = one("redis/bob-redis-ubuntu-22.04-k3s-v1.30.0.yaml");
  auto b = one("redis/bob-redis-ubuntu-24.04-kind-v1.33.0.yaml");
  auto merged = merge({a, b});
  const auto& c = merged.containers[0];
  CHECK(c.execs.size() == 5);
  CHECK(c.opens.size() == 40);
  CHECK(c.syscalls.size() == 87);
  CHECK(c.rule_policies.at("R0001").process_allowed ==
        std::vector<std::string>{"bash", "cp", "redis-server", "start-master.sh"});
  CHECK(covers(a, merged));
  CHECK(covers(b, merged));
  CHECK(diff(merged, merge({merged, a, b})).empty());
}

TEST_CASE("merge unions open flags per path and ORs containerAllowed") {
  auto a = one("curing/bobcuringserver.yaml");
  auto b = a;
  b.containers[0].opens[0].flags = {"O_WRONLY"};
  b.containers[0].rule_policies["R1030"].container_allowed = true;
  b.containers[0].rule_policies["R0001"].process_allowed = {"client"};
  b.containers.push_back(b.containers[0]);
  b.containers.back().name = "sidecar";
  auto merged = merge({a, b});
  REQUIRE(merged.containers.size() == 2);
  CHECK(merged.containers[0].opens[0].flags == std::vector<std::string>{"O_RDONLY", "O_CLOEXEC", "O_WRONLY"});
  CHECK(merged.containers[0].rule_policies.at("R1030").container_allowed);
  CHECK(merged.containers[0].rule_policies.at("R0001").process_allowed ==
        std::vector<std::string>{"client", "server"});
  CHECK(merged.find_container("sidecar") != nullptr);
}

TEST_CASE("merge matches containers by group too") {
  auto a = one("curing/bobcuringserver.yaml");
  auto b = a;
  b.containers[0].group = Group::init_containers;
  auto merged = merge({a, b});
  CHECK(merged.containers.size() == 2);
}

TEST_CASE("ContainerProfiles merge, and mixing kinds is refused") {
  auto cp = load_file(std::string(BOB_SOURCE_ROOT) + "/testdata/corpus/bob/example/redis/sbobs/cp-redis.yaml").front();
  auto other = cp;
  other.containers[0].syscalls = {"read"};
  other.containers[0].egress.push_back(other.containers[0].ingress[0]);
  auto merged = merge({cp, other});
  CHECK(merged.kind == Kind::container_profile);
  REQUIRE(merged.containers.size() == 1);
  CHECK(merged.containers[0].syscalls == std::vector<std::string>{"read"});
  CHECK(merged.containers[0].egress.size() == 1);
  CHECK(merged.containers[0].opens.size() == cp.containers[0].opens.size());
  auto ap = one("curing/bobcuringserver.yaml");
  try {
    merge({cp, ap});
    FAIL("expected an error");
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::usage);
    CHECK(std::string(e.what()).find("cannot merge ApplicationProfile 'curing-server' with ContainerProfile 'redis'") != std::string::npos);
  }
}

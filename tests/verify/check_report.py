#!/usr/bin/env python3
"""Parses a verify-install report the way a CI system would and prints a JSON summary.

junit: parsed with xml.etree; checks the counts the suites declare against their test cases.
sarif: checks the fields SARIF 2.1.0 requires and that every result names a declared rule.
Any inconsistency exits non-zero with the reason on stderr.
"""
import json
import sys
import xml.etree.ElementTree as ET


def fail(reason):
    print(reason, file=sys.stderr)
    sys.exit(1)


def check_junit(path):
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        fail(f"root element is {root.tag}, not testsuites")
    failures, passing, errors, total = {}, 0, 0, 0
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        if int(suite.get("tests")) != len(cases):
            fail(f"suite {suite.get('name')} declares {suite.get('tests')} tests, has {len(cases)}")
        failed_cases = [c for c in cases if c.find("failure") is not None]
        if int(suite.get("failures")) != len(failed_cases):
            fail(f"suite {suite.get('name')} failure count is wrong")
        key = suite.get("name").split(" ")[0]
        for case in cases:
            total += 1
            if not case.get("name") or not case.get("classname"):
                fail("a testcase lacks name or classname")
            if len(case.findall("failure")) > 1:
                fail("a testcase has more than one failure element")
            failure = case.find("failure")
            if failure is not None:
                if not failure.get("message"):
                    fail("a failure has no message")
                failures[key] = failures.get(key, 0) + 1
            elif case.find("error") is not None:
                errors += 1
            else:
                passing += 1
    if int(root.get("tests")) != total:
        fail("testsuites declares the wrong number of tests")
    return {"failures": failures, "passing": passing, "errors": errors, "tests": total}


def check_sarif(path):
    with open(path, encoding="utf-8") as f:
        sarif = json.load(f)
    if sarif.get("version") != "2.1.0":
        fail("version is not 2.1.0")
    if not isinstance(sarif.get("runs"), list) or len(sarif["runs"]) != 1:
        fail("runs must be a list with one run")
    run = sarif["runs"][0]
    driver = run.get("tool", {}).get("driver", {})
    if not isinstance(driver.get("name"), str) or not driver["name"]:
        fail("tool.driver.name is required")
    rules = driver.get("rules", [])
    ids = [r.get("id") for r in rules]
    if len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
        fail("rule ids must be unique non-empty strings")
    for rule in rules:
        if "text" not in rule.get("shortDescription", {}):
            fail(f"rule {rule.get('id')} lacks shortDescription.text")
    results = []
    for result in run.get("results", []):
        if not isinstance(result.get("message", {}).get("text"), str):
            fail("a result lacks message.text")
        level = result.get("level")
        if level not in ("none", "note", "warning", "error"):
            fail(f"bad level {level}")
        index = result.get("ruleIndex")
        if index is None or ids[index] != result.get("ruleId"):
            fail("ruleIndex does not point at ruleId")
        results.append([result["ruleId"], level])
    for invocation in run.get("invocations", []):
        if not isinstance(invocation.get("executionSuccessful"), bool):
            fail("invocation.executionSuccessful is required")
    return {"version": sarif["version"], "rules": ids, "results": results}


def main():
    kind, path = sys.argv[1], sys.argv[2]
    summary = check_junit(path) if kind == "junit" else check_sarif(path)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

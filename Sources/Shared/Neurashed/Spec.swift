import Foundation

// Graph specs: a JSON text (docs/FORMAT.md, "Neurashed graph specs") —
//   {"levels": [["a1", "a2", …],                                  level 1: names
//               [{"name": "b1", "from": ["a1", "a2"], "rule": "any"}, …], …],
//    "classes": [{"name": "cat", "from": ["b1", …]}, …],          the η edges
//    "types":   [{"name": "1a", "class": "cat", "fires": ["a1", …], "weight": 1}, …]}
// A node may carry "g_plus"/"g_minus" ("mul:1.022^0.75"), its own update rules.
// Every mistake is one line naming the node, class or type (JSON's own syntax
// errors name the line and column), and nothing is built from a bad spec.

public enum NeurashedSpec {
    /// Parses and checks a spec; `source` names it in messages.
    public static func parse(_ text: String, source: String) throws -> NeurashedGraph {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw DLError.input("\(source) is not valid JSON: \(detail)", hint: "see docs/FORMAT.md, 'Neurashed graph specs'; dl-neurashed spec fig5 prints an example")
        }
        guard let root = object as? [String: Any] else { throw specError(source, "the top level is not an object with levels, classes and types") }
        try onlyKeys(root, ["levels", "classes", "types"], "the top level", source)
        guard let levelList = root["levels"] as? [Any], !levelList.isEmpty else {
            throw specError(source, "'levels' is missing or empty (a list of levels, the first a list of node names)")
        }
        // Every level's names first, so a dependent from the wrong level is named as such.
        let allNames: [[String: Int]] = levelList.map { item in
            var d: [String: Int] = [:]
            for (i, n) in ((item as? [Any]) ?? []).enumerated() {
                if let name = (n as? String) ?? ((n as? [String: Any])?["name"] as? String), d[name] == nil { d[name] = i }
            }
            return d
        }
        var levels: [[NeurashedNode]] = []
        var index: [[String: Int]] = []
        for (l, item) in levelList.enumerated() {
            guard let nodes = item as? [Any], !nodes.isEmpty else { throw specError(source, "level \(l + 1) is not a non-empty list of nodes") }
            var level: [NeurashedNode] = []
            var names: [String: Int] = [:]
            for n in nodes {
                let node = try parseNode(n, level: l, all: allNames, source: source)
                guard names[node.name] == nil else { throw specError(source, "level \(l + 1) has two nodes named '\(node.name)'") }
                names[node.name] = level.count
                level.append(node)
            }
            levels.append(level)
            index.append(names)
        }
        guard let classList = root["classes"] as? [Any], classList.count >= 2 else {
            throw specError(source, "'classes' is missing or has fewer than 2 classes")
        }
        var classes: [NeurashedClass] = []
        var classIndex: [String: Int] = [:]
        for c in classList {
            guard let o = c as? [String: Any], let name = o["name"] as? String, !name.isEmpty else {
                throw specError(source, "a class is not an object with a name")
            }
            try checkName(name, "a class", source)
            try onlyKeys(o, ["name", "from"], "class '\(name)'", source)
            guard classIndex[name] == nil else { throw specError(source, "two classes are named '\(name)'") }
            let from = try names(o["from"], "class '\(name)'", "from", source)
            guard !from.isEmpty else { throw specError(source, "class '\(name)' has no dependent nodes ('from')") }
            let deps = try from.map { try resolve($0, in: levels.count - 1, index, owner: "class '\(name)'", source) }
            guard Set(deps).count == deps.count else { throw specError(source, "class '\(name)' lists a dependent twice") }
            classIndex[name] = classes.count
            classes.append(NeurashedClass(name: name, dependents: deps))
        }
        guard let typeList = root["types"] as? [Any], !typeList.isEmpty else { throw specError(source, "'types' is missing or empty") }
        var types: [InputType] = []
        var typeNames = Set<String>()
        for t in typeList {
            guard let o = t as? [String: Any], let name = o["name"] as? String, !name.isEmpty else {
                throw specError(source, "an input type is not an object with a name")
            }
            try checkName(name, "an input type", source)
            try onlyKeys(o, ["name", "class", "fires", "weight"], "type '\(name)'", source)
            guard typeNames.insert(name).inserted else { throw specError(source, "two input types are named '\(name)'") }
            guard let c = o["class"] as? String, let ci = classIndex[c] else {
                throw specError(source, "type '\(name)' names class \(jsonQuoted(o["class"].map { "\($0)" } ?? "")), which is not in 'classes'")
            }
            let fires = try names(o["fires"], "type '\(name)'", "fires", source)
            guard !fires.isEmpty else { throw specError(source, "type '\(name)' fires no first-level node") }
            var idx: [Int32] = []
            for f in fires {
                guard let i = index[0][f] else {
                    throw specError(source, "type '\(name)' fires '\(f)', which is not a first-level node")
                }
                idx.append(Int32(i))
            }
            guard Set(idx).count == idx.count else { throw specError(source, "type '\(name)' lists a firing node twice") }
            let weight = try number(o["weight"], default: 1, "type '\(name)'", "weight", source)
            guard weight.isFinite, weight > 0 else { throw specError(source, "type '\(name)' has weight \(weight); weights are positive and finite") }
            types.append(InputType(name: name, classIndex: ci, fires: idx, weight: weight))
        }
        guard types.reduce(0, { $0 + $1.weight }).isFinite else { throw specError(source, "the types' weights add up past float64's range") }
        guard types.count <= 4096, classes.count <= 1000 else {
            throw specError(source, "\(types.count) types and \(classes.count) classes: at most 4096 types and 1000 classes")
        }
        for (j, c) in classes.enumerated() where !types.contains(where: { $0.classIndex == j }) {
            throw specError(source, "class '\(c.name)' has no input types")
        }
        return NeurashedGraph(levels: levels, classes: classes, types: types)
    }

    static func parseNode(_ item: Any, level l: Int, all: [[String: Int]], source: String) throws -> NeurashedNode {
        // A bare name: a first-level node, or above it one without dependents (it never fires).
        if let name = item as? String {
            try checkName(name, "a node of level \(l + 1)", source)
            return NeurashedNode(name: name, dependents: [], rule: .any)
        }
        guard let o = item as? [String: Any], let name = o["name"] as? String, !name.isEmpty else {
            throw specError(source, "a node of level \(l + 1) is neither a name nor an object with a name")
        }
        try checkName(name, "a node of level \(l + 1)", source)
        let label = "level \(l + 1) node '\(name)'"
        try onlyKeys(o, l == 0 ? ["name", "g_plus", "g_minus"] : ["name", "from", "rule", "g_plus", "g_minus"], label, source)
        var node = NeurashedNode(name: name, dependents: [], rule: .any)
        if l > 0 {
            let from = try names(o["from"], label, "from", source)
            node.dependents = try from.map { try resolve($0, in: l - 1, all, owner: label, source) }
            guard Set(node.dependents).count == node.dependents.count else { throw specError(source, "\(label) lists a dependent twice") }
            let ruleText = o["rule"].map { "\($0)" } ?? "any"
            guard let rule = FiringRule(ruleText) else {
                throw specError(source, "\(label) has rule \(jsonQuoted(ruleText)); rules are any, all, at-least T")
            }
            if case .atLeast(let t) = rule, t > from.count {
                throw specError(source, "\(label) fires on at least \(t) dependents but has only \(from.count)")
            }
            node.rule = rule
        }
        for key in ["g_plus", "g_minus"] {
            guard let v = o[key] else { continue }
            guard let text = v as? String, let rule = UpdateRule(text) else {
                throw specError(source, "\(label): \(key) \(jsonQuoted("\(v)")) is not an update rule (mul:A or add:C)")
            }
            if let p = key == "g_plus" ? rule.plusProblem : rule.minusProblem { throw specError(source, "\(label): \(p)") }
            if key == "g_plus" { node.gPlus = rule } else { node.gMinus = rule }
        }
        return node
    }

    /// The index of `name` in level `l` (0-based), or an error that says where it is instead.
    static func resolve(_ name: String, in l: Int, _ index: [[String: Int]], owner: String, _ source: String) throws -> Int32 {
        if let i = index[l][name] { return Int32(i) }
        let elsewhere = index.indices.filter { index[$0][name] != nil }
        if let at = elsewhere.first(where: { $0 > l }) ?? elsewhere.first {
            let why = at > l ? "a cycle: dependents come from the level below" : "dependents come from the level right below"
            throw specError(source, "\(owner) depends on '\(name)' of level \(at + 1), not level \(l + 1) (\(why))")
        }
        throw specError(source, "\(owner) depends on '\(name)', which is no node of level \(l + 1)")
    }

    static func names(_ v: Any?, _ owner: String, _ key: String, _ source: String) throws -> [String] {
        guard let v else { return [] }
        guard let list = v as? [Any], list.allSatisfy({ $0 is String }) else {
            throw specError(source, "\(owner): '\(key)' is not a list of node names")
        }
        return list.map { $0 as! String }
    }

    static func number(_ v: Any?, default d: Double, _ owner: String, _ key: String, _ source: String) throws -> Double {
        guard let v else { return d }
        // JSONSerialization gives Int or Double for numbers, Bool for true/false.
        if type(of: v) == Bool.self { throw specError(source, "\(owner): '\(key)' is not a number") }
        if let i = v as? Int { return Double(i) }
        if let d = v as? Double { return d }
        throw specError(source, "\(owner): '\(key)' is not a number")
    }

    static func onlyKeys(_ o: [String: Any], _ keys: Set<String>, _ owner: String, _ source: String) throws {
        if let k = o.keys.sorted().first(where: { !keys.contains($0) }) {
            throw specError(source, "\(owner) has an unknown key \(jsonQuoted(k)) (it may have \(keys.sorted().joined(separator: ", ")))")
        }
    }

    /// A name as messages and TSV show it: no tabs, newlines or other control characters.
    static func checkName(_ name: String, _ what: String, _ source: String) throws {
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw specError(source, "\(what) \(jsonQuoted(name)) has a tab, newline or other control character")
        }
    }

    static func specError(_ source: String, _ what: String) -> DLError {
        DLError.input("\(source): \(what)", hint: "see docs/FORMAT.md, 'Neurashed graph specs'")
    }

    /// The spec of a graph as JSON text (what `parse` reads back to the same graph).
    public static func render(_ g: NeurashedGraph) -> String {
        func list(_ names: [String]) -> String { "[" + names.map(jsonQuoted).joined(separator: ", ") + "]" }
        var out = "{\n  \"levels\": [\n"
        for (l, level) in g.levels.enumerated() {
            let items: [String] = level.map { n in
                var fields = ["\"name\": \(jsonQuoted(n.name))"]
                if l > 0 {
                    fields.append("\"from\": \(list(n.dependents.map { g.levels[l - 1][Int($0)].name }))")
                    fields.append("\"rule\": \(jsonQuoted(n.rule.description))")
                }
                if let p = n.gPlus { fields.append("\"g_plus\": \(jsonQuoted(p.description))") }
                if let m = n.gMinus { fields.append("\"g_minus\": \(jsonQuoted(m.description))") }
                return fields.count == 1 && l == 0 ? jsonQuoted(n.name) : "{" + fields.joined(separator: ", ") + "}"
            }
            out += "    [" + items.joined(separator: l == 0 ? ", " : ",\n     ") + "]" + (l + 1 < g.levels.count ? ",\n" : "\n")
        }
        out += "  ],\n  \"classes\": [\n"
        let last = g.levels.count - 1
        out += g.classes.map { c in
            "    {\"name\": \(jsonQuoted(c.name)), \"from\": \(list(c.dependents.map { g.levels[last][Int($0)].name }))}"
        }.joined(separator: ",\n") + "\n  ],\n  \"types\": [\n"
        out += g.types.map { t in
            "    {\"name\": \(jsonQuoted(t.name)), \"class\": \(jsonQuoted(g.classes[t.classIndex].name)), \"fires\": \(list(t.fires.map { g.levels[0][Int($0)].name })), \"weight\": \(t.weight == t.weight.rounded() && abs(t.weight) < 1e15 ? String(Int64(t.weight)) : "\(t.weight)")}"
        }.joined(separator: ",\n") + "\n  ]\n}\n"
        return out
    }
}

import FSMDecode
import Testing

/// Golden fingerprints of canonical DFAs, computed with the subset construction as it was
/// before the flat-arena rewrite (commit be9381c): any change to the construction must give
/// bit-identical minimal DFAs (same classes, numbering, table, accepting states and labels).
/// Patterns: every 10th line of corpora/regex/patterns.txt, every 5th of pattern-properties.txt,
/// and a few hand-written ones (Unicode classes, the exponential (a|b)*a(a|b){10}).
@Suite struct RegexCanonicalGoldenTests {
    /// FNV-1a-style fold over everything `==` compares, plus per-state labels.
    static func fingerprint(_ d: ByteDFA, labels: [[Int32]] = []) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) { h = (h ^ v) &* 0x100_0000_01b3 }
        mix(UInt64(d.stateCount)); mix(UInt64(d.classCount)); mix(UInt64(d.start))
        for b in d.byteClass { mix(UInt64(b)) }
        for t in d.table { mix(UInt64(UInt32(bitPattern: t))) }
        for a in d.accepting { mix(a ? 1 : 0) }
        for l in labels {
            mix(UInt64(l.count))
            for x in l { mix(UInt64(UInt32(bitPattern: x))) }
        }
        return h
    }

    static let golden: [(pattern: String, states: Int, fingerprint: UInt64)] = [
        (#"^[A-Fa-f\d]{24}$"#, 25, 0xcc48565687e65f5d),
        (#"^([a-z0-9-]+):([a-z0-9\.-]+):([a-z0-9-]+)?:([a-z0-9-]+)$"#, 7, 0xceb617a78503ecf8),
        (#"^\/api\/v1\/tags\/[^/]+$"#, 22, 0x30ccc83dc66377f),
        (#"1.*2"#, 12, 0x39289737d4af35b5),
        (#"^\d+$"#, 2, 0xdbd677482931b216),
        (#"^\/api\/v1\/alignments\/[^/]+$"#, 28, 0xe7950010a201c2a0),
        (#"^\s$"#, 11, 0x872406a56fb9b7ee),
        (#"^....$"#, 41, 0xb7ed71e46d4dc2fd),
        (#"^#/"#, 3, 0x52a08fb8b14bd1cd),
        (#"^[0-9a-z]+$"#, 2, 0x17952ed455bf6cc),
        (#"(afs1-az1|afs1-az2|afs1-az3|afs1-los1-az1|ape1-az1|ape1-az2|ape1-az3|apne1-az1|apne1-az2|apne1-az4|apne1-tpe1-az1|apne2-az1|apne2-az2|apne2-az3|apne2-az4|apne3-az1|apne3-az2|apne3-az3|aps1-az1|aps1-az2|aps1-az3|aps1-ccu1-az1|aps1-del1-az1|aps2-az1|aps2-az2|aps2-az3|apse1-az1|apse1-az2|apse1-az3|apse1-bkk1-az1|apse2-az1|apse2-az2|apse2-az3|apse2-per1-az1|apse3-az1|apse3-az2|apse3-az3|apse4-az1|apse4-az2|apse4-az3|cac1-az1|cac1-az2|cac1-az4|euc1-az1|euc1-az2|euc1-az3|euc1-ham1-az1|euc1-waw1-az1|euc2-az1|euc2-az2|euc2-az3|eun1-az1|eun1-az2|eun1-az3|eun1-cph1-az1|eun1-hel1-az1|eus1-az1|eus1-az2|eus1-az3|eus2-az1|eus2-az2|eus2-az3|euw1-az1|euw1-az2|euw1-az3|euw2-az1|euw2-az2|euw2-az3|euw3-az1|euw3-az2|euw3-az3|mec1-az1|mec1-az2|mec1-az3|mes1-az1|mes1-az2|mes1-az3|mes1-mct1-az1|sae1-az1|sae1-az2|sae1-az3|use1-atl1-az1|use1-az1|use1-az2|use1-az3|use1-az4|use1-az5|use1-az6|use1-bos1-az1|use1-bue1-az1|use1-chi1-az1|use1-dfw1-az1|use1-iah1-az1|use1-lim1-az1|use1-mci1-az1|use1-mia1-az1|use1-msp1-az1|use1-nyc1-az1|use1-phl1-az1|use1-qro1-az1|use1-scl1-az1|use2-az1|use2-az2|use2-az3|usw1-az1|usw1-az3|usw2-az1|usw2-az2|usw2-az3|usw2-az4|usw2-den1-az1|usw2-las1-az1|usw2-lax1-az1|usw2-lax1-az2|usw2-pdx1-az1|usw2-phx1-az1|usw2-sea1-az1)"#, 119, 0x1c761c1fb0177ac),
        (#"^(\*|\+|#{1,6} .*)$"#, 18, 0xea62e05172bc1f30),
        (#"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z)$"#, 26, 0xca83af20a5929c3a),
        (#"^[\w:-]+$"#, 2, 0xee04af4ef1dca20b),
        (#"^\./.+$"#, 13, 0x66ee79b9db530b45),
        (#"^iglu:[a-zA-Z0-9-_.]+/[a-zA-Z0-9-_]+/[a-zA-Z0-9-_]+/([1-9][0-9]*|\*)-((?:0|[1-9][0-9]*)|\*)-((?:0|[1-9][0-9]*)|\*)$"#, 20, 0xa35e29acf15f4dc4),
        (#"c12"#, 4, 0xb98d2911c7302aed),
        (#"/(html|js|css)/[^/\n\r]+"#, 17, 0x81a842c1fa24c11c),
        (#"KAKEN-\d{8}"#, 15, 0xca3eba4de41b9913),
        (#"[.]js$"#, 4, 0x624e4d24c56ed0d1),
        (#"\d+( ?(ms|s)|\s*(B|kB|[MGTPEZY]i?B|KiB))"#, 18, 0x50083d1cdc37cec),
        (#"^#[0-9a-f]{6}$"#, 8, 0x48bccaa83fe7fd21),
        (#"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"#, 15, 0x919a3d22804a19a8),
        (#"^(?:\s*[A-Za-z0-9+/]){43}(?:\s*=):(?:(?:\s*[A-Za-z0-9+/]){4})*(?:(?:\s*[A-Za-z0-9+/]){2}(?:\s*=){2}|(?:\s*[A-Za-z0-9+/]){3}(?:\s*=))?\s*$"#, 501, 0xd6e4a666e78505b6),
        (#"^([0-9]{1,3}\.){3}[0-9]{1,3}(/([0-9]|[1-2][0-9]|3[0-2]))?$"#, 20, 0x4d6b5599297cbfe4),
        (#"^([a-z0-9._-])+$"#, 2, 0xa1a3e77e428ce369),
        (#"^(debug|info|warn|crit|fatal|unknown)$"#, 24, 0x7bf3c4ccf5f0827f),
        (#"^(text|key|cred|array|env):.*"#, 25, 0x8f1ffeacdab8e1a6),
        (#"^.*.xsl$"#, 14, 0x964e4a46b527dac8),
        (#"^01$|^07$"#, 3, 0xf68528b7e28588d5),
        (#"^AV:[NALP]/AC:[LH]/PR:[NLH]/UI:[NR]/S:[UC]/C:[NLH]/I:[NLH]/A:[NLH]$"#, 36, 0xf76a7c3348140ad7),
        (#"^RFC\d{4}$"#, 8, 0x15238fd19eb0667d),
        (#"^[0-9]+\.[0-9]+(\.[0-9]+)?$"#, 6, 0xbc1831c1fbe6438b),
        (#"^[0-9a-f]{40}$"#, 41, 0xaf4d48b70371b6db),
        (#"^[A-Z][0-9][A-Z]( )?[0-9][A-Z][0-9]$"#, 8, 0x8de9168d3a98d4ca),
        (#"^[\s\w\.-]+$"#, 11, 0x1efe86f3ad0c9648),
        (#"^[^:]+:[^:]+:[0-9]+$"#, 20, 0x92503072f4388f60),
        (#"^[a-z0-9A-Z-]*$"#, 1, 0x1a1aabfd0bacff6b),
        (#"^[a-zA-Z0-9_.]*$"#, 1, 0x6e2a70d9737972b0),
        (#"^[a-z][a-z0-9-_]{1,63}$"#, 65, 0x1863b3e3a9e95e13),
        (#"^\d\.x$"#, 4, 0x440ba9658e19f173),
        (#"^asset_files$"#, 12, 0xdd6929b332412a02),
        (#"^function(\[[0-9]*\])*$"#, 10, 0x1d09b7ffa989595e),
        (#"^pkg:cargo/.+@.+"#, 32, 0x18f577b4e3ab77d8),
        (#"^semver:(<=)?v?\d+\.\d+\.\d+"#, 16, 0x29efc8270ef9f179),
        (#"material"#, 9, 0x1b918f33046d26e1),
        (#"^[a-z_]+$"#, 2, 0x1b442171e1e34229),
        (#".+"#, 11, 0x9bbc19f69a3045cf),
        (#"X_"#, 3, 0x8de78dfb78836b93),
        (#"f.*o"#, 12, 0xe6400bb86c42c9af),
        (#"^.*bar$"#, 13, 0x7eafb20e80bc72c7),
        (#"\wcole"#, 6, 0xf9f5db8bac0e858d),
        (#"sdkrel:.*"#, 17, 0xd24b568744cfe24c),
        (#"^[a-zA-Z0-9\-_+\.]+$"#, 2, 0x1680dfb353f6aeb4),
        (#"^foo"#, 4, 0x5b054fb5a8f8b5fd),
        (#"[a-z]{1,2}"#, 3, 0x6503758a01e60ce1),
        (#"^(ElmahIo|Elmahio|elmahIo|elmahio)$"#, 8, 0x317deb6fda497508),
        (#"^(nlog|Nlog|NLog)$"#, 6, 0xcba6ef165638ee74),
        (#"^AssertionConsumerService:([0-9]{1}):Location$"#, 36, 0x5e17876f612a4d1e),
        (#"^OrganizationURL:(en|nl)$"#, 20, 0x968cb4f2b974161f),
        (#"^[A-Z0-9_]+$"#, 2, 0x169d7a8eb5cc7647),
        (#"^[^/#]+/[^/#]+#[012456789]+$"#, 20, 0x817112cbe774b573),
        (#"^[a-zA-Z0-9*_-]+$"#, 2, 0x822be44867a59d73),
        (#"^[a-zA-Z0-9_-]+$"#, 2, 0x5c1c9abe6decf23a),
        (#"^[a-z]{2}$"#, 3, 0x6506d98a01e8eca4),
        (#"^coin:entity_categories:([1-4]{1})$"#, 25, 0x6d71f7e944ed9be7),
        (#"^contacts:([0-3]{1}):givenName$"#, 21, 0x8bb06062d2d6eaa5),
        (#"^displayName:(en|nl)$"#, 16, 0x2a86d8a7247679ba),
        (#"^mdrpi:RegistrationPolicy:(en|nl)$"#, 29, 0x54aef5ac188350f3),
        (#"^webOptimizer$"#, 13, 0xa0717df4c99ae7a6),
        (#"d"#, 2, 0x5c43cab4c862d27f),
        (#"(a|b)*a(a|b){10}"#, 2048, 0xbb532e4da14f039),
        (#".{0,300}x"#, 3302, 0x9cc08721ecb2c6a5),
        (#"^(?:\S+\s+){0,9}\S+$"#, 270, 0x7deb1b17f3ac57cd),
        (#"[α-ω]+é?x*"#, 6, 0xe07e977bccb76c5c),
        (#"[\u0000-\uFFFF]{2}"#, 11, 0xa247ee4040dc362c),
        (#"(?:[a-z]|é|€|😀)+"#, 8, 0x40ed2de71fbd86),
        (#"[^\n]*[^a-z]{3}"#, 52, 0x147966db6b4c6f66),
        (#"(\d+\.){3}\d+|[0-9a-f:]+"#, 9, 0x755002f943eee79d),
    ]

    @Test func corpusPatternsGiveUnchangedCanonicalDFAs() throws {
        for g in Self.golden {
            let d = try RegexCompiler.compile(g.pattern)
            #expect(d.stateCount == g.states, "\(g.pattern)")
            #expect(Self.fingerprint(d) == g.fingerprint, "\(g.pattern): fingerprint 0x\(String(Self.fingerprint(d), radix: 16))")
        }
    }

    /// Lexer unions: overlapping terminals give multi-label states.
    @Test func lexerUnionsGiveUnchangedDFAsAndLabels() throws {
        let json: [String] = [
        #""(?:[^"\\]|\\.)*""#,
        #"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?"#,
        #"true"#,
        #"false"#,
        #"null"#,
        #"[a-z]+"#,
        #"\s+"#,
        #"[{}\[\],:]"#,
        #"[^\x00-\x7F]+é"#
        ]
        let cases: [(patterns: [String], states: Int, fingerprint: UInt64)] = [
            (json, 66, 0xd4f38854f6fca14c),
            (Self.golden.prefix(20).map(\.pattern), 747, 0x558ce18e51be8e18),
        ]
        for c in cases {
            let asts = try c.patterns.map { try RegexParser.parse($0) }
            let r = try #require(try RegexCompiler.compileLexer(asts))
            #expect(r.dfa.stateCount == c.states)
            #expect(Self.fingerprint(r.dfa, labels: r.acceptingTerminals) == c.fingerprint,
                    "fingerprint 0x\(String(Self.fingerprint(r.dfa, labels: r.acceptingTerminals), radix: 16))")
        }
    }

    /// The whole shared regex corpus (FSMDECODE_FULL=1): fold of every pattern's fingerprint (0 for an error).
    @Test func wholeCorpusFingerprint() throws {
        guard TestSupport.fullSuites else { return }
        for (file, count, errors, expected) in [("patterns.txt", 454, 6, 0x1c37e1dee0a9d9cf as UInt64),
                                                ("pattern-properties.txt", 135, 5, 0xe395ddcf5f508353)] {
            guard let path = TestSupport.shared("corpora/regex/" + file) else {
                print("skipping: corpora/regex/\(file) not found"); continue
            }
            let text = String(decoding: try readFile(path), as: UTF8.self)
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            var n = 0, failed = 0
            for p in text.split(separator: "\n").map(String.init) {
                n += 1
                let v: UInt64
                if let d = try? RegexCompiler.compile(p) { v = Self.fingerprint(d) } else { failed += 1; v = 0 }
                h = (h ^ v) &* 0x100_0000_01b3
            }
            #expect(n == count && failed == errors, "\(file): \(n) patterns, \(failed) errors")
            #expect(h == expected, "\(file): 0x\(String(h, radix: 16))")
        }
    }
}

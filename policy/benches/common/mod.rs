//! The rule set document and the quick-xml floor that the `views` and
//! `allocs` benches share, so both measure the same bytes.

/// The peer domain of the watchers.
pub(crate) const PEER: &str = "peer.example";

/// Five rules: colleagues (the whole peer domain but the blocked), friends
/// (2,000 listed), family (50 listed), politely blocked (200 listed), and a
/// work-hours rule for everyone.
pub(crate) fn rules_doc() -> String {
    let ones = |range: std::ops::Range<usize>| -> String {
        range
            .map(|i| format!(r#"<one id="sip:u{i}@{PEER}"/>"#))
            .collect()
    };
    let blocked: String = (9_000..9_100)
        .map(|i| format!(r#"<except id="sip:u{i}@{PEER}"/>"#))
        .collect();
    format!(
        r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
<rule id="colleagues"><conditions><identity><many domain="{PEER}">{blocked}</many></identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions>
 <transformations><pr:provide-services><pr:class>work</pr:class></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-activities>true</pr:provide-activities></transformations></rule>
<rule id="friends"><conditions><identity>{}</identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions>
 <transformations><pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme><pr:service-uri-scheme>im</pr:service-uri-scheme></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-activities>true</pr:provide-activities><pr:provide-mood>true</pr:provide-mood><pr:provide-user-input>bare</pr:provide-user-input></transformations></rule>
<rule id="family"><conditions><identity>{}</identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions>
 <transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/></transformations></rule>
<rule id="polite"><conditions><identity>{}</identity></conditions>
 <actions><pr:sub-handling>polite-block</pr:sub-handling></actions></rule>
<rule id="work-hours"><conditions><validity><from>2026-11-25T08:00:00Z</from><until>2026-11-25T18:00:00Z</until></validity></conditions>
 <actions><pr:sub-handling>confirm</pr:sub-handling></actions>
 <transformations><pr:provide-note>true</pr:provide-note></transformations></rule>
</ruleset>"#,
        ones(1_000..3_000),
        ones(0..50),
        ones(5_000..5_200),
    )
}

pub(crate) use testkit::xml_floor as floor;

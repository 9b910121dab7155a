//! The instrument parsers against output others published: ASTM E1381 frames with their
//! checksums from python-astm's tests and from real analyzer captures in senaite.astm, MT-SICS
//! lines logged from a balance, and an OpenLab CDS peak report.

#![allow(clippy::unwrap_used)]

use yaolian_lab::capture::{astm, balance, peaks};

/// Control characters written as <STX>, <ETX>, <ETB>, <CR>, <LF> in the sources.
fn bytes(text: &str) -> Vec<u8> {
    text.replace("<STX>", "\u{2}")
        .replace("<ETX>", "\u{3}")
        .replace("<ETB>", "\u{17}")
        .replace("<CR>", "\r")
        .replace("<LF>", "\n")
        .into_bytes()
}

/// kxepal/python-astm, astm/tests/test_codecs.py (lines 26, 157–159, 185–191): each frame's
/// printed checksum is the sum of its bytes from the frame number through ETX/ETB, mod 256.
#[test]
fn python_astm_frames_carry_the_printed_checksums() {
    for (frame, printed) in [
        ("1A|B|C|D<CR><ETX>", "BF"),
        ("1foo|1<CR><ETX>", "32"),
        ("2bar|2<CR><ETX>", "25"),
        ("3baz|3<CR><ETX>", "2F"),
        ("1foo|1<CR>b<ETB>", "A8"),
        ("2ar|24<CR>b<ETB>", "6D"),
        ("3az|1^2^<ETB>", "C0"),
        ("43|boo<CR><ETX>", "33"),
    ] {
        assert_eq!(astm::checksum(&bytes(frame)), printed, "{frame}");
    }
    // The message split over four frames, record boundaries inside frames, joins whole.
    let framed = bytes(
        "<STX>1foo|1<CR>b<ETB>A8<CR><LF><STX>2ar|24<CR>b<ETB>6D<CR><LF><STX>3az|1^2^<ETB>C0<CR><LF>\
         <STX>43|boo<CR><ETX>33<CR><LF>",
    );
    assert_eq!(astm::unframe(&framed).unwrap(), b"foo|1\rbar|24\rbaz|1^2^3|boo\r");
    // A wrong checksum, a frame out of order and an unfinished message are refused.
    let err = astm::unframe(&bytes("<STX>1A|B|C|D<CR><ETX>BE<CR><LF>")).unwrap_err();
    assert_eq!((err.line, err.rule), (1, "checksum"));
    let err = astm::unframe(&bytes("<STX>2bar|2<CR><ETX>25<CR><LF>")).unwrap_err();
    assert_eq!(err.rule, "frame_number");
    let err = astm::unframe(&bytes("<STX>1foo|1<CR>b<ETB>A8<CR><LF>")).unwrap_err();
    assert_eq!(err.rule, "unfinished");
}

/// senaite/senaite.astm, src/senaite/astm/tests/data/cobas_c111.txt: a Roche cobas c 111's
/// message in seven frames (ETB … ETX), the result 40.13 g/L of test 413.
#[test]
fn a_cobas_c111_message_gives_its_result() {
    let framed = bytes(concat!(
        "<STX>1H|\\^&|||SENAITE^Roche^c111^4.2.2.1730^1^13147|||||host|RSUPL^REAL|P|1|20230803131713<CR><ETB>C6<CR><LF>",
        "<STX>2P|1||<CR><ETB>4B<CR><LF>",
        "<STX>3O|1||T20 10134GA D28^^6||S||||||N|||||||||||20230803131713|||F<CR><ETB>B3<CR><LF>",
        "<STX>4R|1|^^^413|40.13|g/L||N||F||$SYS$||20230803131700<CR><ETB>CE<CR><LF>",
        "<STX>5C|1|I||I<CR><ETB>4F<CR><LF>",
        "<STX>6M|1|RR^BM^c111^1|-21|-21\\-21\\1\\1\\1\\-1\\-33\\-37\\-38\\-38\\-42\\-42\\-42\\-41\\-42\\-43\\140\\141|0.018514<CR><ETB>FD<CR><LF>",
        "<STX>7L|1|N<CR><ETX>0A<CR><LF>",
    ));
    let message = astm::records(&astm::unframe(&framed).unwrap()).unwrap();
    assert_eq!(message.records, vec!['H', 'P', 'O', 'R', 'C', 'M', 'L']);
    assert_eq!(message.sender, "SENAITE^Roche^c111^4.2.2.1730^1^13147");
    let r = &message.results[0];
    assert_eq!(
        (r.test.as_str(), r.value.as_str(), r.units.as_str(), r.status.as_str(), r.completed.as_str()),
        ("413", "40.13", "g/L", "F", "20230803131700")
    );
}

/// senaite.astm, tests/data/abbott_afinion2.txt: a whole message in one frame, checksum F2.
#[test]
fn an_afinion_message_in_one_frame() {
    let framed = bytes(
        "<STX>1H|\\^&|||Afinion 2 Analyzer^^AF20052397|||||||P|1|20241206141235<CR>P|1||3643|||||U<CR>\
         O|1||5|^^^HbA1c|||||||N||||^O||||||||^10228413||F<CR>R|1|^^^HbA1c|5.9|%||||F||3643||20241206140615<CR>\
         L|1|N<CR><ETX>F2<CR><LF>",
    );
    let message = astm::records(&astm::unframe(&framed).unwrap()).unwrap();
    let r = &message.results[0];
    assert_eq!((r.test.as_str(), r.value.as_str(), r.units.as_str()), ("HbA1c", "5.9", "%"));
    assert_eq!(astm::records(b"P|1\rL|1|N\r").unwrap_err().rule, "header");
    assert_eq!(astm::records(b"H|\\^&\rR|1|^^^A|1\r").unwrap_err().rule, "terminator");
}

/// MT-SICS lines a METTLER TOLEDO WXS205SDU sent (PyLabRobot's hardware validation log,
/// pylabrobot/scales/mettler_toledo/hardware_validation.ipynb), and the status responses of the
/// balances' operating instructions (S I, S +, S -).
#[test]
fn balance_lines() {
    let w = |line: &str| match balance::parse_line(line).unwrap() {
        balance::Reading::Weight(w) => w,
        other => panic!("{other:?}"),
    };
    let a = w("S S   -0.00102 g\r\n");
    assert_eq!((a.value.as_str(), a.unit.as_str(), a.stable), ("-0.00102", "g", true));
    let b = w("S S    0.00000 g");
    assert_eq!(b.value, "0.00000");
    assert!(!w("S D    12.3456 g").stable);
    assert_eq!(balance::parse_line("S I").unwrap(), balance::Reading::NotExecutable);
    assert_eq!(balance::parse_line("S +").unwrap(), balance::Reading::Overload);
    assert_eq!(balance::parse_line("S -").unwrap(), balance::Reading::Underload);
    assert_eq!(balance::parse_line("ES").unwrap(), balance::Reading::Error { code: "ES".into() });
    assert_eq!(balance::parse_line("S S   1.2.3 g").unwrap_err().rule, "number");
    assert_eq!(balance::parse_line("I4 A \"B207696838\"").unwrap_err().rule, "mt_sics");
}

/// dgbowl/yadg, tests/test_x_empalc_csv/Cu-20p_v2.csv: an OpenLab CDS report — metadata lines, an
/// injection table, then one peak table per compound, each repeating its header.
#[test]
fn an_openlab_report_is_read_by_header_names() {
    let text = "Sequence name:,LC-LA273-2022-08-05 14-48-44+02-00\n\
        Description:,\n\
        Acquisition date:,2022-08-05 14:48:46+02:00\n\
        Acquired by:,SYSTEM\n\
        Report version:,2\n\
        \n\
        Line#,Location,Sample Name,Injection Date,Acq Method Name,Acq Method Version,Injection DA Method Name,Injection DA Method Version,Time offset\n\
        1,P1-A-01,frbe-200802-Cu-20p-200mA-0min,2022-08-05 14:49:27+02:00,LC_method,1,DA,1,0\n\
        \n\
        Line#,Compound,Sample Name,Inj#,RT [min],Area,Peak Height,Amount,Concentration\n\
        20,Glycolic acid,frbe-200802-Cu-20p-200mA-280min,1,12.844,8380.404,278.996,,\n\
        \n\
        Line#,Compound,Sample Name,Inj#,RT [min],Area,Peak Height,Amount,Concentration\n\
        2,Formic acid,frbe-200802-Cu-20p-200mA-0min,1,15.274,534.849,26.814,0.0643,0.0643\n";
    let table = peaks::parse(text, &peaks::Mapping::default()).unwrap();
    assert_eq!(table.metadata[0], ("Sequence name".into(), "LC-LA273-2022-08-05 14-48-44+02-00".into()));
    let names: Vec<&str> = table.peaks.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["Glycolic acid", "Formic acid"]);
    let numbers: Vec<[Option<f64>; 4]> =
        table.peaks.iter().map(|p| [Some(p.retention_time), Some(p.area), p.height, p.amount]).collect();
    assert_eq!(
        numbers,
        vec![
            [Some(12.844), Some(8380.404), Some(278.996), None],
            [Some(15.274), Some(534.849), Some(26.814), Some(0.0643)]
        ]
    );
}

/// An Empower-style export: tab-delimited, quoted, thousands separators; and a European one with
/// semicolons and decimal commas. Columns are found by name in any order.
#[test]
fn delimiters_quotes_and_decimal_commas() {
    let empower =
        "\"Report Method\"\t\"Assay\"\n\"Name\"\t\"Area\"\t\"Retention Time\"\t\"USP Tailing\"\t\"USP Plate Count\"\n\
        \"Metformin\"\t\"1,523,400\"\t\"4.812\"\t\"1.12\"\t\"8,412\"\n";
    let t = peaks::parse(empower, &peaks::Mapping::default()).unwrap();
    assert_eq!((t.peaks[0].area, t.peaks[0].retention_time, t.peaks[0].plates), (1_523_400.0, 4.812, Some(8412.0)));
    let european = "Peak Name;Ret.Time (min);Area (mAU*min);Height (mAU)\nMetformin;4,812;152,34;n.a.\n";
    let t = peaks::parse(european, &peaks::Mapping::default()).unwrap();
    assert_eq!((t.peaks[0].retention_time, t.peaks[0].area, t.peaks[0].height), (4.812, 152.34, None));
    let bad = "RT,Area\n4.8,lots\n";
    let err = peaks::parse(bad, &peaks::Mapping::default()).unwrap_err();
    assert_eq!((err.line, err.rule), (2, "number"));
    assert_eq!(peaks::parse("a,b\n1,2\n", &peaks::Mapping::default()).unwrap_err().rule, "no_header");
    let huge = "x".repeat(peaks::MAX_BYTES + 1);
    assert_eq!(peaks::parse(&huge, &peaks::Mapping::default()).unwrap_err().rule, "too_large");
}

/// AnIML core 0.90 (ASTM E13.15), read from a real document: FAIRChemistry/pyAnIML's
/// `examples/real_life.animl` (a Varioskan LUX plate read, MIT licence; see tests/data/README.md),
/// with the values that file holds.
#[test]
fn animl_reads_a_published_plate_reader_document() {
    use yaolian_lab::capture::animl::{self, Value};
    let doc = animl::parse(include_bytes!("data/real_life.animl")).unwrap();
    assert!(doc.namespaced);
    assert_eq!(doc.version, "0.90");
    assert_eq!(doc.samples.len(), 1);
    let sample = &doc.samples[0];
    assert_eq!((sample.name.as_str(), sample.sample_id.as_str()), ("Sample1", "plate_0"));
    let p = |name: &str| sample.parameters.iter().find(|p| p.name == name).unwrap().value.clone();
    assert_eq!(
        (p("Rows"), p("Columns"), p("Total Positions")),
        (Value::Integer(8), Value::Integer(12), Value::Integer(96))
    );
    assert_eq!(p("Descriptive Name"), Value::Text("Nice descriptive name".into()));
    assert_eq!(doc.steps.len(), 2);
    let wavelengths: Vec<Value> = doc
        .steps
        .iter()
        .map(|s| s.parameters.iter().find(|p| p.name == "Absorbtion Wavelength").unwrap().value.clone())
        .collect();
    assert_eq!(wavelengths, vec![Value::Number(600.0), Value::Number(660.0)]);
    let set = &doc.steps[0].results[0].series_sets[0];
    assert_eq!((set.name.as_str(), set.length, set.series.len()), ("Read", 96, 5));
    let series = |name: &str| set.series.iter().find(|s| s.name == name).unwrap();
    // Position: an AutoIncrementedValueSet from 0 by 1 over the set's 96 points.
    let position = series("Position");
    assert_eq!((position.dependency.as_str(), position.kind.as_str()), ("independent", "Int32"));
    assert_eq!(position.values.first(), Some(&Some(Value::Integer(0))));
    assert_eq!(position.values.last(), Some(&Some(Value::Integer(95))));
    let value = series("Value");
    let first: Vec<Option<Value>> = value.values[..3].to_vec();
    assert_eq!(first, vec![Some(Value::Number(0.0996)), Some(Value::Number(0.2146)), Some(Value::Number(0.1679))]);
    assert_eq!(value.values[95], Some(Value::Number(0.0489)));
    assert_eq!(series("Saturated").values[0], Some(Value::Boolean(false)));
    assert_eq!(series("Sample Group").values[7], Some(Value::Text("Group 1".into())));
    let delay = &series("Measurement Delay").values;
    assert_eq!((delay[0].clone(), delay[95].clone()), (Some(Value::Number(0.26)), Some(Value::Number(55.39))));
    let second = &doc.steps[1].results[0].series_sets[0].series[1];
    assert_eq!(second.values[0], Some(Value::Number(0.0957)));
}

/// EncodedValueSet: base64 of little-endian values whose width the series type gives
/// (animl-core.xsd: "Multiple numeric values encoded as a base64 binary string. Uses
/// little-endian byte order."), from a start index; and the refusals.
#[test]
fn animl_encoded_values_sparse_sets_and_refusals() {
    use base64::Engine;
    use yaolian_lab::capture::animl::{self, Value};
    let mut bytes = Vec::new();
    for v in [1.996f64, 3.996, 5.996] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let doc = |series: &str| {
        format!(
            "<AnIML version=\"0.90\"><ExperimentStepSet><ExperimentStep name=\"r\" experimentStepID=\"s\"><Result name=\"R\">\
             <SeriesSet name=\"d\" length=\"4\">{series}</SeriesSet></Result></ExperimentStep></ExperimentStepSet></AnIML>"
        )
    };
    let encoded = format!(
        "<Series name=\"SegmentTime\" seriesID=\"t\" dependency=\"dependent\" seriesType=\"Float64\">\
         <EncodedValueSet startIndex=\"1\">\n  {}\n  {}\n</EncodedValueSet><Unit label=\"s\"/></Series>",
        &b64[..12],
        &b64[12..]
    );
    let d = animl::parse(doc(&encoded).as_bytes()).unwrap();
    assert!(!d.namespaced, "a document without the namespace is read by local names");
    let s = &d.steps[0].results[0].series_sets[0].series[0];
    assert_eq!(s.unit, "s");
    assert_eq!(
        s.values,
        vec![None, Some(Value::Number(1.996)), Some(Value::Number(3.996)), Some(Value::Number(5.996))]
    );
    // py-animl's fixture string: valid base64, 15 bytes, not whole Int32 values.
    let bad = "<Series name=\"b\" seriesID=\"b\" dependency=\"dependent\" seriesType=\"Int32\">\
               <EncodedValueSet>00010002000300040005</EncodedValueSet></Series>";
    assert_eq!(animl::parse(doc(bad).as_bytes()).unwrap_err().rule, "encoded_width");
    let over = "<Series name=\"o\" seriesID=\"o\" dependency=\"dependent\" seriesType=\"Int32\">\
                <IndividualValueSet><I>1</I><I>2</I><I>3</I><I>4</I><I>5</I></IndividualValueSet></Series>";
    assert_eq!(animl::parse(doc(over).as_bytes()).unwrap_err().rule, "length");
    let nan = "<Series name=\"n\" seriesID=\"n\" dependency=\"dependent\" seriesType=\"Float32\">\
               <IndividualValueSet><F>abc</F></IndividualValueSet></Series>";
    let e = animl::parse(doc(nan).as_bytes()).unwrap_err();
    assert_eq!((e.rule, e.line), ("number", 1));
    assert_eq!(animl::parse(b"<AnIML><Sample>").unwrap_err().rule, "xml");
    assert_eq!(animl::parse(b"<Other/>").unwrap_err().rule, "root");
    let deep = format!("<AnIML>{}{}</AnIML>", "<a>".repeat(100), "</a>".repeat(100));
    assert_eq!(animl::parse(deep.as_bytes()).unwrap_err().rule, "too_deep");
}

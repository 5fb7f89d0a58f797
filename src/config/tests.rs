//! Reading the example configuration and the errors a Basis engineer would make.

use super::*;

struct Files(PathBuf);

impl Files {
    fn new(name: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("bizsap-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("api-key"), "bizplay-key\n").unwrap();
        std::fs::write(dir.join("password"), "sap-password").unwrap();
        Files(dir)
    }

    /// The example with its secrets in files of this directory.
    fn example(&self) -> String {
        include_str!("../../examples/bizsap.toml")
            .replace(
                "api_key_env = \"BIZSAP_BIZPLAY_API_KEY\"",
                "api_key_file = \"api-key\"",
            )
            .replace(
                "password_env = \"BIZSAP_SAP_PASSWORD\"",
                "password_file = \"password\"",
            )
    }

    fn parse(&self, source: &str) -> Result<Config, ConfigError> {
        Config::parse(source, "bizsap.toml", &self.0, Secrets::Read)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn invalid(result: Result<Config, ConfigError>) -> (usize, String, String) {
    match result {
        Err(ConfigError::Invalid {
            line, key, message, ..
        }) => (line, key, message),
        other => panic!("expected an invalid configuration, got {other:?}"),
    }
}

#[test]
fn the_example_reads_with_its_secrets() {
    let files = Files::new("example");
    let config = files.parse(&files.example()).unwrap();
    assert_eq!(config.bizplay.api_key.expose(), "bizplay-key");
    assert_eq!(config.bizplay.page_size, 100);
    assert_eq!(config.rules, files.0.join("rules.toml"));
    assert_eq!(config.schedule.cron, "*/15 7-22 * * *");
    let TargetConfig::Rfc(rfc) = &config.target else {
        panic!("RFC expected")
    };
    assert_eq!(rfc.password.expose(), "sap-password");
    assert_eq!(rfc.parameters["ashost"], "sapprd.example.com");
    assert_eq!(rfc.connections, 4);
    assert_eq!(rfc.ini_dir, None);
    assert!(
        !format!("{config:?}").contains("sap-password"),
        "secrets never print"
    );
}

#[test]
fn the_idoc_target_reads_instead_of_rfc() {
    let files = Files::new("idoc");
    let source = files.example();
    let start = source.find("\n[sap.rfc]").unwrap() + 1;
    let end = source.find("# [sap.idoc]").unwrap();
    let idoc: String = source[end..source.find("[journal]").unwrap()]
        .lines()
        .map(|line| line.strip_prefix("# ").unwrap_or(line))
        .map(|line| {
            line.replace(
                "password_env = \"BIZSAP_SAP_PASSWORD\"",
                "password_file = \"password\"",
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let source = format!(
        "{}{idoc}\n{}",
        &source[..start],
        &source[source.find("[journal]").unwrap()..]
    );
    let config = files.parse(&source).unwrap();
    let TargetConfig::Idoc(idoc) = &config.target else {
        panic!("IDoc expected")
    };
    assert_eq!(idoc.url, "https://sapprd.example.com:44300");
    assert_eq!(idoc.packet_size, 20);
    assert_eq!(idoc.partners["RCVPRN"], "PRDCLNT100");
}

#[test]
fn a_misspelt_key_names_file_line_and_key() {
    let files = Files::new("typo");
    let source = files
        .example()
        .replace("page_size = 100", "page_sise = 100");
    let line = source
        .lines()
        .position(|l| l.starts_with("page_sise"))
        .unwrap()
        + 1;
    let (found_line, key, _) = invalid(files.parse(&source));
    assert_eq!((found_line, key.as_str()), (line, "bizplay.page_sise"));
}

#[test]
fn a_missing_secret_file_is_named_but_never_its_content() {
    let files = Files::new("secret");
    let source = files
        .example()
        .replace("api_key_file = \"api-key\"", "api_key_file = \"nope\"");
    let (_, key, message) = invalid(files.parse(&source));
    assert_eq!(key, "bizplay.api_key_file");
    assert!(message.contains("nope"), "{message}");
}

#[test]
fn the_ini_directory_is_relative_to_the_configuration() {
    let files = Files::new("ini");
    let source = files
        .example()
        .replace("# ini_dir = \"/etc/bizsap\"", "ini_dir = \"rfc\"");
    let config = files.parse(&source).unwrap();
    let TargetConfig::Rfc(rfc) = &config.target else {
        panic!("RFC expected")
    };
    assert_eq!(rfc.ini_dir, Some(files.0.join("rfc")));
}

#[test]
fn journal_commands_need_no_secrets() {
    let files = Files::new("skip");
    let source = files
        .example()
        .replace("api_key_file = \"api-key\"", "api_key_file = \"nope\"");
    let config = Config::parse(&source, "bizsap.toml", &files.0, Secrets::Skip).unwrap();
    assert_eq!(config.bizplay.api_key.expose(), "");
    assert_eq!(
        config.journal,
        PathBuf::from("/var/lib/bizsap/journal.sqlite")
    );
}

#[test]
fn both_or_neither_target_is_refused() {
    let files = Files::new("targets");
    let source = files.example();
    let both = format!(
        "{source}\n[sap.idoc]\nurl = \"x\"\nclient = \"100\"\nuser = \"u\"\npassword_file = \"password\"\n"
    );
    let (_, _, message) = invalid(files.parse(&both));
    assert!(message.contains("exactly one"), "{message}");
}

#[test]
fn a_bad_cron_expression_is_located() {
    let files = Files::new("cron");
    let source = files
        .example()
        .replace("*/15 7-22 * * *", "every 15 minutes");
    let (_, key, message) = invalid(files.parse(&source));
    assert_eq!(key, "schedule.cron");
    assert!(message.contains("five fields"), "{message}");
}

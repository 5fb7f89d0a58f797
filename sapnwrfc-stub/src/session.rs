//! Connections: parameters (directly or from `sapnwrfc.ini`), finding the server, logging
//! on, and one request/reply exchange at a time on the session's socket.

use std::collections::BTreeMap;
use std::io;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, TryLockError};
use std::time::Duration;

use crate::protocol::{
    self, Failure, FrameError, Logon, PROTOCOL_VERSION, Reply, Request, SystemInfo, rc,
};
use crate::state::invalid_parameter;

/// Parameters whose values are secrets and never leave the library except to log on.
const SECRET_PARAMETERS: [&str; 4] = ["passwd", "mysapsso2", "x509cert", "extiddata"];

/// Connection parameters by lower-case name, as `RfcOpenConnection` received them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn insert(&mut self, name: &str, value: &str) {
        self.0
            .insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }

    /// A parameter's value; blank counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// With `dest`, the ini file's entry completed by the parameters given directly, which
    /// take precedence.
    pub fn resolve(self, ini_dir: Option<&Path>) -> Result<Params, Failure> {
        let Some(dest) = self.get("dest").map(str::to_owned) else {
            return Ok(self);
        };
        let file = ini_file(ini_dir);
        let text = std::fs::read_to_string(&file).map_err(|error| {
            invalid_parameter(format!(
                "Cannot read {} for DEST={dest}: {error}",
                file.display()
            ))
        })?;
        let Some(entry) = destination(&text, &dest) else {
            let message = format!("No entry DEST={dest} in {}", file.display());
            return Err(invalid_parameter(message));
        };
        let mut resolved = Params(entry);
        resolved.0.extend(self.0);
        Ok(resolved)
    }

    /// The parameters a server may see: everything but the logon data and secrets.
    fn public(&self) -> BTreeMap<String, String> {
        let logon = ["user", "client", "lang"];
        self.0
            .iter()
            .filter(|(name, _)| !SECRET_PARAMETERS.contains(&name.as_str()))
            .filter(|(name, _)| !logon.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }
}

/// Where `sapnwrfc.ini` is: in the directory `RfcSetIniPath` named, else the file `RFC_INI`
/// names, else the working directory.
pub fn ini_file(ini_dir: Option<&Path>) -> PathBuf {
    match (ini_dir, std::env::var_os("RFC_INI")) {
        (Some(dir), _) => dir.join("sapnwrfc.ini"),
        (None, Some(file)) => PathBuf::from(file),
        (None, None) => PathBuf::from("sapnwrfc.ini"),
    }
}

/// The entry of `dest` in an ini file: a section starts with `DEST=` and ends at an empty
/// line; `#`, `//` and `/*` start comment lines; names are case-insensitive.
pub fn destination(text: &str, dest: &str) -> Option<BTreeMap<String, String>> {
    let mut section: Option<BTreeMap<String, String>> = None;
    for line in text.lines().map(str::trim).chain([""]) {
        if line.is_empty() {
            let done = section.take();
            let matches = done.as_ref().and_then(|s| s.get("dest"));
            if matches.is_some_and(|name| name.eq_ignore_ascii_case(dest)) {
                return done;
            }
            continue;
        }
        if line.starts_with('#') || line.starts_with("//") || line.starts_with("/*") {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if name == "dest" {
            let previous = section.replace(BTreeMap::new());
            let matches = previous.as_ref().and_then(|s| s.get("dest"));
            if matches.is_some_and(|found| found.eq_ignore_ascii_case(dest)) {
                return previous;
            }
        }
        if let Some(section) = section.as_mut() {
            section.insert(name, value.trim().to_owned());
        }
    }
    None
}

/// One logged-on session: its socket and what the server said about itself.
#[derive(Debug)]
pub struct Connection {
    pub info: SystemInfo,
    pub dest: String,
    pub partner_host: String,
    pub system_number: String,
    pub language: String,
    stream: Mutex<TcpStream>,
    /// A second handle on the socket, so another thread can cancel a call in progress.
    control: TcpStream,
    canceled: AtomicBool,
}

fn not_reached(host: &str, port: u16, error: impl std::fmt::Display) -> Failure {
    Failure::communication(format!("partner '{host}:{port}' not reached: {error}"))
}

fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, Failure> {
    let addresses = (host, port)
        .to_socket_addrs()
        .map_err(|e| not_reached(host, port, e))?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "host has no address");
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => return Ok(stream),
            Err(error) => last = error,
        }
    }
    Err(not_reached(host, port, last))
}

impl Connection {
    /// Finds the server, connects and logs on.
    pub fn open(
        params: Params,
        ini_dir: Option<&Path>,
        timeout: Duration,
    ) -> Result<Self, Failure> {
        let params = params.resolve(ini_dir)?;
        if params.get("ashost").is_none() && params.get("mshost").is_some() {
            let message = "Logon through a message server (MSHOST) is not available in the stub \
                           system; give ASHOST and SYSNR";
            return Err(Failure::external(
                rc::NOT_SUPPORTED,
                "RFC_NOT_SUPPORTED",
                message,
            ));
        }
        let host = params.get("ashost").ok_or_else(|| {
            invalid_parameter("Parameter ASHOST, GWHOST, MSHOST or SERVER_PORT is missing")
        })?;
        let port =
            protocol::gateway_port(params.get("gwserv"), params.get("sysnr")).ok_or_else(|| {
                invalid_parameter("Parameter SYSNR (or GWSERV) is missing or invalid")
            })?;

        let stream = connect(host, port, timeout)?;
        let setup = |stream: &TcpStream| -> io::Result<()> {
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(timeout))?;
            stream.set_write_timeout(Some(timeout))
        };
        setup(&stream).map_err(|e| not_reached(host, port, e))?;

        let language = params.get("lang").unwrap_or("EN").to_owned();
        let logon = Logon {
            protocol: PROTOCOL_VERSION,
            user: params.get("user").unwrap_or_default().to_owned(),
            password: params.get("passwd").unwrap_or_default().to_owned(),
            client: params.get("client").unwrap_or_default().to_owned(),
            language: language.clone(),
            parameters: params.public(),
        };
        let mut socket = &stream;
        let reply = protocol::write_frame(&mut socket, &Request::Open(logon))
            .and_then(|()| protocol::read_frame::<Reply>(&mut socket));
        let info = match reply {
            Ok(Reply::Opened(info)) => info,
            Ok(Reply::Failed(failure)) => return Err(failure),
            Ok(other) => return Err(unexpected(&other)),
            Err(error) => return Err(lost(&error)),
        };

        // Calls wait as long as the system takes, as in SAP's library.
        let clear = |stream: &TcpStream| -> io::Result<()> {
            stream.set_read_timeout(None)?;
            stream.set_write_timeout(None)
        };
        clear(&stream).map_err(|e| not_reached(host, port, e))?;
        let control = stream.try_clone().map_err(|e| not_reached(host, port, e))?;
        Ok(Self {
            info,
            dest: params.get("dest").unwrap_or_default().to_owned(),
            partner_host: host.to_owned(),
            system_number: params.get("sysnr").unwrap_or_default().to_owned(),
            language,
            stream: Mutex::new(stream),
            control,
            canceled: AtomicBool::new(false),
        })
    }

    /// Sends one request and waits for its reply.
    pub fn exchange(&self, request: &Request) -> Result<Reply, Failure> {
        let mut stream = match self.stream.try_lock() {
            Ok(stream) => stream,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                let message = "The connection is in use by another thread; an RFC connection \
                               serves one call at a time";
                return Err(Failure::external(
                    rc::ILLEGAL_STATE,
                    "RFC_ILLEGAL_STATE",
                    message,
                ));
            }
        };
        let socket = &mut *stream;
        let reply = protocol::write_frame(socket, request)
            .and_then(|()| protocol::read_frame::<Reply>(socket));
        match reply {
            Ok(reply) => Ok(reply),
            Err(_) if self.canceled.load(Ordering::SeqCst) => Err(Failure::new(
                rc::CANCELED,
                protocol::group::COMMUNICATION_FAILURE,
                "RFC_CANCELED",
                "Connection was canceled by the client",
            )),
            Err(error) => Err(lost(&error)),
        }
    }

    /// Breaks off a call in progress from another thread; the connection is over.
    pub fn cancel(&self) {
        self.canceled.store(true, Ordering::SeqCst);
        let _ = self.control.shutdown(Shutdown::Both);
    }

    /// Ends the session: tells the server when the socket is free, then closes it.
    pub fn close(&self) {
        if let Ok(mut stream) = self.stream.try_lock() {
            let _ = protocol::write_frame(&mut *stream, &Request::Close);
        }
        let _ = self.control.shutdown(Shutdown::Both);
    }

    /// Closes the socket without a word, after a failure that ended the session.
    pub fn drop_socket(&self) {
        let _ = self.control.shutdown(Shutdown::Both);
    }
}

fn lost(error: &FrameError) -> Failure {
    let message = match error {
        FrameError::Closed => "connection closed by the partner".to_owned(),
        error => format!("connection to partner broken: {error}"),
    };
    Failure::communication(message)
}

fn unexpected(reply: &Reply) -> Failure {
    let message = format!("The server answered out of turn: {reply:?}");
    Failure::external(rc::INVALID_PROTOCOL, "RFC_INVALID_PROTOCOL", message)
}

/// A reply that is not the one a request expects; ends the session, as the two sides no
/// longer agree where they are.
pub fn out_of_turn(reply: &Reply) -> Failure {
    let mut failure = unexpected(reply);
    failure.code = rc::COMMUNICATION_FAILURE;
    failure.group = protocol::group::COMMUNICATION_FAILURE;
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    const INI: &str = "\
# bizsap test systems
DEST=STB
ASHOST=127.0.0.1
SYSNR=00
CLIENT=100

/* another system */
DEST=QAS
ASHOST=qas.example
SYSNR=10
// comment inside
USER=BIZSAP
";

    #[test]
    fn ini_entries_end_at_blank_lines_and_skip_comments() {
        let stb = destination(INI, "stb").unwrap();
        assert_eq!(stb["ashost"], "127.0.0.1");
        assert!(!stb.contains_key("user"));
        let qas = destination(INI, "QAS").unwrap();
        assert_eq!(qas["sysnr"], "10");
        assert_eq!(qas["user"], "BIZSAP");
        assert_eq!(destination(INI, "PRD"), None);
    }

    #[test]
    fn direct_parameters_complete_and_override_the_ini_entry() {
        let dir = std::env::temp_dir().join(format!("sapnwrfc-stub-ini-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sapnwrfc.ini"), INI).unwrap();

        let mut params = Params::default();
        params.insert("DEST", "QAS");
        params.insert("passwd", "secret");
        params.insert("SYSNR", "11");
        let resolved = params.resolve(Some(&dir)).unwrap();
        assert_eq!(resolved.get("ashost"), Some("qas.example"));
        assert_eq!(resolved.get("sysnr"), Some("11"));
        assert_eq!(resolved.get("passwd"), Some("secret"));
        assert!(!resolved.public().contains_key("passwd"));

        let mut missing = Params::default();
        missing.insert("dest", "PRD");
        let error = missing.resolve(Some(&dir)).unwrap_err();
        assert_eq!(error.code, rc::INVALID_PARAMETER);
        assert!(error.message.contains("DEST=PRD"), "{}", error.message);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

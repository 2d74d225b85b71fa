//! The fake Dynatrace: an HTTP server on 127.0.0.1 that answers like the metrics ingest and OTLP
//! endpoints, as a test scripts it, and records every request it is sent.

use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message;

/// The ingest path below a tenant's base URL.
pub const INGEST_PATH: &str = "/api/v2/metrics/ingest";
/// The OTLP metrics path below a tenant's base URL.
pub const OTLP_PATH: &str = "/api/v2/otlp/v1/metrics";

/// One request as the fake Dynatrace received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced), for line protocol.
    pub body: String,
    /// The body exactly as received, for OTLP.
    pub body_bytes: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body's lines (line protocol: one data point per line).
    pub fn lines(&self) -> Vec<&str> {
        self.body.lines().collect()
    }

    /// The body with its `Content-Encoding` (gzip or none) undone.
    pub fn decoded_body(&self) -> Vec<u8> {
        match self.header("Content-Encoding") {
            None => self.body_bytes.clone(),
            Some(encoding) if encoding.eq_ignore_ascii_case("gzip") => {
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(self.body_bytes.as_slice())
                    .read_to_end(&mut plain)
                    .expect("a gzip body that decompresses");
                plain
            }
            Some(other) => panic!("unexpected Content-Encoding `{other}`"),
        }
    }

    /// The body as an OTLP `ExportMetricsServiceRequest` (binary protobuf, gzip undone).
    pub fn otlp(&self) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest::decode(self.decoded_body().as_slice())
            .expect("an ExportMetricsServiceRequest in binary protobuf")
    }
}

/// What the fake Dynatrace answers to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            body: body.into().into_bytes(),
            headers: vec![("Content-Type".into(), "application/json".into())],
        }
    }

    /// `message` encoded as binary protobuf, `Content-Type: application/x-protobuf`.
    pub fn protobuf(status: u16, message: &impl Message) -> Reply {
        Reply {
            status,
            body: message.encode_to_vec(),
            headers: vec![("Content-Type".into(), "application/x-protobuf".into())],
        }
    }

    /// 200 with an empty `ExportMetricsServiceResponse`: every data point accepted.
    pub fn otlp_ok() -> Reply {
        Reply::protobuf(200, &ExportMetricsServiceResponse::default())
    }

    /// 200 with `partial_success`: `rejected` data points dropped, for `message`.
    pub fn otlp_partial(rejected: i64, message: &str) -> Reply {
        Reply::protobuf(
            200,
            &ExportMetricsServiceResponse {
                partial_success: Some(ExportMetricsPartialSuccess {
                    rejected_data_points: rejected,
                    error_message: message.to_owned(),
                }),
            },
        )
    }

    /// 202 as Dynatrace sends it when all `lines` were accepted.
    pub fn accepted(lines: usize) -> Reply {
        Reply::json(
            202,
            format!(r#"{{"linesOk":{lines},"linesInvalid":0,"error":null}}"#),
        )
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Responder = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// An HTTP server on 127.0.0.1 that answers like the metrics ingest API and records requests.
/// Several threads answer, so that requests in flight at once are answered at once.
pub struct FakeDynatrace {
    server: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    in_flight: Arc<Mutex<(usize, usize)>>,
    threads: Vec<JoinHandle<()>>,
    url: String,
}

/// Threads answering requests.
const ANSWERING_THREADS: usize = 8;

impl FakeDynatrace {
    /// Answers every request with `respond(request, index)`, `index` counting from 0.
    pub fn start(respond: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Self {
        let respond: Arc<Responder> = Arc::new(respond);
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let stopping = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(Mutex::new((0, 0)));
        let threads = (0..ANSWERING_THREADS)
            .map(|_| {
                let (server, stopping, requests) =
                    (server.clone(), stopping.clone(), requests.clone());
                let (respond, in_flight) = (respond.clone(), in_flight.clone());
                std::thread::spawn(move || loop {
                    let mut request = match server.recv() {
                        Ok(request) => request,
                        Err(_) if stopping.load(Ordering::SeqCst) => return,
                        Err(_) => continue,
                    };
                    if stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    {
                        let mut counts = in_flight.lock().unwrap();
                        counts.0 += 1;
                        counts.1 = counts.1.max(counts.0);
                    }
                    let mut body_bytes = Vec::new();
                    request
                        .as_reader()
                        .read_to_end(&mut body_bytes)
                        .expect("a readable request body");
                    let recorded = Recorded {
                        method: request.method().to_string(),
                        path: request.url().to_owned(),
                        headers: request
                            .headers()
                            .iter()
                            .map(|h| {
                                (
                                    h.field.as_str().as_str().to_ascii_lowercase(),
                                    h.value.as_str().to_owned(),
                                )
                            })
                            .collect(),
                        body: String::from_utf8_lossy(&body_bytes).into_owned(),
                        body_bytes,
                    };
                    let index = {
                        let mut all = requests.lock().unwrap();
                        all.push(recorded.clone());
                        all.len() - 1
                    };
                    let reply = respond(&recorded, index);
                    let mut response =
                        tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
                    for (name, value) in &reply.headers {
                        response = response.with_header(
                            tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
                                .expect("a valid header"),
                        );
                    }
                    in_flight.lock().unwrap().0 -= 1;
                    let _ = request.respond(response);
                })
            })
            .collect();
        FakeDynatrace {
            server,
            stopping,
            requests,
            in_flight,
            threads,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.lock().unwrap().1
    }

    /// Accepts every line of every request, and every OTLP data point.
    pub fn accepting() -> Self {
        FakeDynatrace::start(|request, _| {
            if request.path == OTLP_PATH {
                Reply::otlp_ok()
            } else {
                Reply::accepted(request.lines().len())
            }
        })
    }

    /// Answers the requests with `replies` in order; the last one answers all further requests.
    pub fn scripted(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty());
        FakeDynatrace::start(move |_, index| replies[index.min(replies.len() - 1)].clone())
    }

    /// The tenant's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests to `path`, in the order received.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Waits until `count` requests to `path` have arrived, polling; false after `timeout`.
    pub fn wait_for(&self, path: &str, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.requests_to(path).len() >= count {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FakeDynatrace {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        for _ in &self.threads {
            self.server.unblock();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A URL where nothing listens: a port bound and released again.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// The metrics ingest URL of the fake.
pub fn ingest_url(server: &FakeDynatrace) -> String {
    format!("{}{INGEST_PATH}", server.url())
}

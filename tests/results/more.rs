//! What JMeter measures beyond response times, end to end: rates, bytes, latency, connect time,
//! threads and response codes, to the exact lines.

use super::support::Workdir;

#[test]
fn a_jtl_sends_rates_bytes_latency_connect_threads_and_codes() {
    let dir = Workdir::new("results-more");
    // JMeter 5's default columns; 3 s from the first start to the last end.
    dir.write(
        "results.jtl",
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,\
         failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n\
         1795650383000,100,GET /,200,OK,T 1-1,text,true,,1000,100,1,1,http://h/,60,0,20\n\
         1795650384000,500,GET /,500,Error,T 1-2,text,false,boom,3000,100,2,2,http://h/,400,0,0\n\
         1795650384500,1500,GET /,200,OK,T 1-1,text,true,,2000,100,2,2,http://h/,90,0,1\n",
    );
    let out = dir
        .cli()
        .args(["--dry-run", "--results", "results.jtl"])
        .run();
    out.expect_code(0);
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("request=_all") && !l.contains("response_time"))
        .collect();
    let d = ",tool=jmeter,ci_platform=keptn";
    assert_eq!(
        lines,
        vec![
            format!("keptn.loadtest.requests,request=_all{d} count,delta=3"),
            format!("keptn.loadtest.failures,request=_all{d} count,delta=1"),
            format!("keptn.loadtest.error_rate,request=_all{d} gauge,0.3333333333333333"),
            format!("keptn.loadtest.requests_per_second,request=_all{d} gauge,1"),
            format!("keptn.loadtest.failures_per_second,request=_all{d} gauge,0.3333333333333333"),
            format!("keptn.loadtest.bytes_received,request=_all{d} count,delta=6000"),
            format!("keptn.loadtest.bytes_sent,request=_all{d} count,delta=300"),
            format!("keptn.loadtest.latency,request=_all{d} gauge,min=60,max=400,sum=550,count=3"),
            format!(
                "keptn.loadtest.connect_time,request=_all{d} gauge,min=0,max=20,sum=21,count=3"
            ),
            format!("keptn.loadtest.users,request=_all{d} gauge,2"),
            format!("keptn.loadtest.requests_by_code,request=_all,code=200{d} count,delta=2"),
            format!("keptn.loadtest.requests_by_code,request=_all,code=500{d} count,delta=1"),
        ]
    );
    // Per label the same, but users: how many there were is said of the test.
    assert!(out
        .stdout
        .contains("keptn.loadtest.requests_per_second,request=GET\\ /"));
    assert!(!out.stdout.contains("keptn.loadtest.users,request=GET"));
    assert!(out
        .stdout
        .contains("#keptn.loadtest.requests_per_second gauge dt.meta.unit=PerSecond,"));
}

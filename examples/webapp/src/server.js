// Example application file; the profiles in ../.sandboxctl/ decide what commands run
// here may do.
const http = require("http");
http.createServer((req, res) => res.end("ok\n")).listen(process.env.PORT || 8080, "127.0.0.1");

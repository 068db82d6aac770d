// Starts the reference automerge-repo sync server (@automerge/automerge-repo-sync-server, exactly
// the code its `index.js` runs) for `tandem-load`, with two differences that keep a benchmark
// tidy: it listens on loopback only (the package listens on every interface), and it prints the
// port it was given, so PORT=0 can pick a free one.
//
// Environment, as the package reads it: PORT (0 for a free port) and DATA_DIR (its storage).
// Prints one line `reference sync server listening on 127.0.0.1:<port>` once it accepts connections.

import net from "node:net"

// The package calls `app.listen(PORT, callback)`; bind that to 127.0.0.1 and report the address.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1")
  }
  this.once("listening", () => {
    const { address, port } = this.address()
    // The package starts listening before its repo has attached the WebSocket adapter; a client
    // that connects in between is never answered (it reconnects seconds later). Give the repo a
    // moment before announcing the port.
    setTimeout(() => console.log(`reference sync server listening on ${address}:${port}`), 500)
  })
  return listen.apply(this, args)
}

const { Server } = await import("@automerge/automerge-repo-sync-server/src/server.js")
new Server()

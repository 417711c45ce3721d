#!/usr/bin/env python3
"""A real SMTP server on loopback for the e-mail digest tests (aiosmtpd).

Listens on 127.0.0.1 on a free port, prints `PORT <n>` on its first line,
and writes every message it accepts to DIR/<n>.eml (the DATA as received)
with the envelope in DIR/<n>.json. It exits when its standard input closes
(the test that started it ended) or on SIGTERM.

    smtp_server.py --dir DIR [--starttls CERT KEY | --tls CERT KEY]
                   [--user NAME --password PASSWORD]

--starttls: STARTTLS offered and required before anything else.
--tls: TLS from the first byte (implicit TLS, "SMTPS").
--user/--password: AUTH (PLAIN, LOGIN) required; only this login is accepted.
Recipients whose address starts with "refused" are refused (550).
"""

import argparse
import asyncio
import json
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Saver:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # Addresses starting with "refused" have no mailbox here.
        if address.startswith("refused"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%03d" % self.count)
        with open(base + ".json", "w") as f:
            json.dump(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "login": session.auth_data if session.authenticated else None,
                },
                f,
            )
        tmp = base + ".tmp"
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, base + ".eml")
        return "250 OK stored"


def authenticator_for(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    return check


async def main():
    # AUTH without STARTTLS is fine under implicit TLS; say nothing about it.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()

    def context(pair):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(pair[0], pair[1])
        return ctx

    handler = Saver(a.dir)
    kwargs = dict(hostname="localhost")
    if a.user is not None:
        kwargs.update(
            authenticator=authenticator_for(a.user, a.password or ""),
            auth_required=True,
            # Implicit TLS is TLS already; aiosmtpd only knows STARTTLS.
            auth_require_tls=a.starttls is not None,
        )
    if a.starttls:
        kwargs.update(tls_context=context(a.starttls), require_starttls=True)
    server_ssl = context(a.tls) if a.tls else None

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **kwargs), host="127.0.0.1", port=0, ssl=server_ssl
    )
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)

    # Stop when the test's end closes our standard input.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())

"""ICE candidate lines in SDP: find an endpoint's address, or point it at a relay instead.

A bot routes its connection through a ``UdpRelay`` by rewriting both descriptions: the
server's candidate (in the SDP the bot receives) becomes the relay's client-facing address, and
the bot's own candidate (in the SDP it sends) becomes the relay's upstream address. Rewriting
only one side lets ICE find the direct loopback path from the other side.
"""

Address = tuple[str, int]

_PREFIX = "a=candidate:"


def udp_candidates(sdp: str) -> list[Address]:
    """Addresses of the UDP candidates in ``sdp``, in order, without duplicates."""
    found: list[Address] = []
    for line in sdp.splitlines():
        fields = _candidate_fields(line)
        if fields is not None and fields[2].lower() == "udp":
            address = (fields[4], int(fields[5]))
            if address not in found:
                found.append(address)
    return found


def point_candidates_at(sdp: str, address: Address) -> str:
    """``sdp`` with every UDP candidate's address and port replaced by ``address``.

    Candidate lines that become identical within one m-section are kept once.
    """
    out: list[str] = []
    seen_in_section: set[str] = set()
    ending = "\r\n" if "\r\n" in sdp else "\n"
    for line in sdp.splitlines():
        if line.startswith("m="):
            seen_in_section = set()
        fields = _candidate_fields(line)
        if fields is not None and fields[2].lower() == "udp":
            fields[4], fields[5] = address[0], str(address[1])
            line = _PREFIX + " ".join(fields)
            if line in seen_in_section:
                continue
            seen_in_section.add(line)
        out.append(line)
    return ending.join(out) + ending


def _candidate_fields(line: str) -> list[str] | None:
    # a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> …
    if not line.startswith(_PREFIX):
        return None
    fields = line[len(_PREFIX) :].split(" ")
    return fields if len(fields) >= 8 else None

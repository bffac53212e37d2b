"""Fictional demo content for a Firsthand site.

Everything here is invented: one author, four posts and the responses to the
last post. The people, businesses and websites do not exist; every email
address and URL uses a reserved example.com, example.org or example.net
domain.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoAuthor:
    """The person who writes the demo blog."""

    username: str
    display_name: str
    bio: str
    website: str


@dataclass(frozen=True)
class DemoPost:
    """A published post; ``body`` is CommonMark Markdown."""

    slug: str
    title: str
    body: str
    published_at: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class DemoResponse:
    """A comment or pingback on the demo article.

    ``minutes_after`` counts from the post's ``published_at`` and increases
    strictly along ``ARTICLE_RESPONSES``. Comments carry an ``author_email``;
    the pingback leaves it empty and fills ``source_url`` and ``source_title``.
    """

    kind: str
    author_name: str
    body: str
    minutes_after: int
    author_email: str = ""
    author_url: str = ""
    author_title: str = ""
    source_url: str = ""
    source_title: str = ""
    # The number of the earlier response this one replies to (0: top level).
    in_reply_to: int = 0


AUTHOR: DemoAuthor = DemoAuthor(
    username="hollis",
    display_name="Hollis Varga",
    bio=(
        "Hollis Varga runs a two-person picture-framing workshop and writes "
        "here about the trade, the customers and the business of staying "
        "small."
    ),
    website="https://vargaframing.example.com",
)

POSTS: tuple[DemoPost, ...] = (
    DemoPost(
        slug="what-we-do-with-the-offcuts",
        title="What we do with the offcuts",
        body=(
            "Every frame we build leaves something behind: a strip of moulding "
            "too short to use, a window of mat board cut from the middle of a "
            "sheet, a corner of glass. For years those pieces went into a bin "
            "by the back door, and once a month I paid someone to haul the bin "
            "away. It bothered me a little more every time.\n\n"
            "## Where the pieces go now\n\n"
            "This spring we started sorting everything before it leaves the "
            "bench:\n\n"
            "- **Mat board centres** larger than a postcard go into a box by "
            "the till. Customers take them for free, and a primary school down "
            "the road collects the rest for art lessons.\n"
            "- **Moulding ends** longer than 20 cm get labelled with their "
            "profile number and kept for small frames, which we now sell at one "
            "flat price.\n"
            "- **Glass and acrylic** scraps go to the recycler listed on the "
            "trade association's [materials "
            "page](https://framers-guild.example.org/recycling).\n\n"
            "None of this is clever. It takes about ten minutes at the end of "
            "each day, and whoever does it writes `offcuts: done` on the "
            "whiteboard so nobody has to wonder.\n\n"
            "## What surprised me\n\n"
            "The free box turned out to be the most popular thing in the shop. "
            "People who come in for one frame stay to dig through it, and a few "
            "have come back to show us the collages they made. One customer put "
            "it better than I could:\n\n"
            "> I came in to pick up my print and left with a bag of colours I "
            "didn't know I needed.\n\n"
            "The small-frame shelf pays for itself too, which I did *not* "
            "expect. It will never be a big part of the business, but the bin "
            "by the back door is now half the size it was.\n\n"
            "If you run a workshop of any kind, I'd love to hear what you do "
            "with the bits you can't sell."
        ),
        published_at="2026-04-20T08:45:00+00:00",
        tags=("workshop", "materials"),
    ),
    DemoPost(
        slug="how-i-write-a-quote",
        title="How I write a quote",
        body=(
            "A framing quote used to be a number on the back of a business "
            "card. I would measure the artwork, scribble a total and hand it "
            "over. Customers nodded, and a lot of them never came back. It took "
            "me an embarrassingly long time to see that the number was not the "
            "problem; the *silence around it* was.\n\n"
            "## What goes on every quote now\n\n"
            "Each quote we hand over is half a printed page, and it always has "
            "the same parts:\n\n"
            "1. The artwork, described in the customer's own words (\"Gran's "
            'watercolour of the harbour").\n'
            "2. The moulding, mat and glazing we suggest, with one line on why.\n"
            "3. A price for each part, not just a total.\n"
            "4. One cheaper option, and what it gives up.\n"
            "5. The date the frame will be ready.\n\n"
            "Number four is the one people remark on. Showing a cheaper option "
            "feels like talking myself out of money, but it does the opposite: "
            "people trust the main price more when they can see what the "
            "alternative costs and what it leaves out.\n\n"
            "## Plain words\n\n"
            "I also stopped using trade terms without explaining them. "
            '"Conservation glazing" became "glass that blocks most of the light '
            'that fades paper". When a term has to stay, it gets a short note '
            "beside it. The [plain-language "
            "glossary](https://framers-guild.example.org/glossary) on the "
            "guild's site helped me find simpler ways to say things.\n\n"
            "> A quote is the first thing a customer reads that you wrote just "
            "for them.\n\n"
            "That line is pinned above the counter. It reminds me that a quote "
            "is a piece of writing, and writing can always be clearer."
        ),
        published_at="2026-05-12T10:15:00+00:00",
        tags=("pricing", "customers", "writing"),
    ),
    DemoPost(
        slug="why-we-close-on-mondays",
        title="Why we close on Mondays",
        body=(
            "Since the start of June the shop door stays locked on Mondays. We "
            "are still working; we just aren't answering the door or the phone. "
            "I want to explain why, because a few regulars have asked, and one "
            "of them was *properly* annoyed.\n\n"
            "## The trouble with an open door\n\n"
            "A framing workshop does two kinds of work. There is the work "
            "customers see: choosing mouldings, talking through options, "
            "collecting finished pieces. And there is the work they don't see: "
            "cutting, joining, fitting, and the slow, fussy job of cleaning "
            "glass. The second kind needs long stretches without interruption, "
            "and a shop that is open six days a week never gets them.\n\n"
            "Before the change, a typical week looked like this:\n\n"
            "- an interruption every twenty minutes or so during opening hours,\n"
            "- large jobs pushed into the evenings,\n"
            "- mistakes clustered on the busiest afternoons.\n\n"
            "## What Monday is for now\n\n"
            "Monday belongs to the bench. We take the biggest orders of the "
            "week and finish them without stopping. Email still gets read, but "
            "replies wait until Tuesday morning, and the answering machine says "
            "so. I borrowed the wording from a [guide to setting opening "
            "hours](https://smallshops.example.org/guides/opening-hours) that a "
            "friend recommended, then changed it until it sounded like me:\n\n"
            "> We're in the workshop today, building your frames. We'll call "
            "you back on Tuesday.\n\n"
            "Three weeks in, our average turnaround has dropped from about "
            "twelve days to eight. The annoyed regular has forgiven us, mostly. "
            "If you are a customer and Monday was your only free day, tell me, "
            "and we'll arrange a time that works."
        ),
        published_at="2026-06-08T07:30:00+00:00",
        tags=("workshop", "customers"),
    ),
    DemoPost(
        slug="should-a-small-shop-put-its-prices-online",
        title="Should a small shop put its prices online?",
        body=(
            "For eleven years the prices in my shop have lived in two places: a "
            "laminated sheet behind the counter and my head. The website says "
            'what we do, shows some finished frames and ends with "call or drop '
            'in for a quote". This summer I have been arguing with myself, and '
            "with my business partner Jo, about whether that should change. I "
            "haven't settled it, so I'm going to lay out both sides and ask "
            "you.\n\n"
            "## The case for publishing\n\n"
            "The strongest argument is simple: people want to know before they "
            "walk in. Several customers have told me they put off framing "
            "something for months because they were afraid of the number. Some "
            "of them assumed we would cost twice what we do. A price guide on "
            "the website would answer that fear at two in the morning, when "
            "people actually think about these things, instead of only during "
            "our opening hours.\n\n"
            "There is also a fairness argument. When prices are only given face "
            "to face, it is easy, without meaning to, to quote a little higher "
            "for someone who looks comfortable and a little lower for someone "
            "who seems nervous. A public list keeps me honest. Everyone sees "
            "the same starting point.\n\n"
            "And it would save time. A surprising share of our phone calls are "
            'really one question: "roughly how much for something about this '
            'big?" If the answer were online, those calls would turn into '
            "visits from people who already know they can afford us.\n\n"
            "## The case against\n\n"
            "Jo's objection is that framing is not a menu. Two pieces of the "
            "same size can differ in price by a factor of three, depending on "
            "the moulding, the mat, the glazing and whether the artwork needs "
            "to float or be hinged. A published table has to simplify, and "
            "simplified prices will be wrong for most real jobs. The customer "
            'who sees "from 45" and then gets a quote for 160 will feel '
            "tricked, even if every line of the quote is fair.\n\n"
            "There is the competition to think about, too. Two larger shops in "
            "town could read our prices in a minute and undercut us on the "
            "common sizes, where we make most of our margin. We would be "
            "handing our pricing to the people least likely to return the "
            "favour.\n\n"
            "Finally, the conversation at the counter is where we do our best "
            "work. When someone brings in their grandfather's medals or a "
            "child's first painting, we learn what matters to them and suggest "
            "things they hadn't thought of. A price list invites people to "
            "decide before that conversation happens. Some of them will pick "
            "the cheapest line and miss the frame they would actually have "
            "loved.\n\n"
            "## Where I've got to\n\n"
            "I lean towards publishing something, but not a full list. Perhaps "
            "three worked examples with real photos and real totals: a small "
            "print in a simple frame, a mid-sized piece with a mat and better "
            "glass, and a large canvas. Each would say plainly what pushes the "
            'price up or down. That would answer "are they expensive?" without '
            "pretending every job is the same.\n\n"
            "Jo thinks even that goes too far, and that the examples will "
            "become anchors we can never move away from. She may be right. I "
            "can also imagine myself a year from now wondering why we waited so "
            "long.\n\n"
            "So I'd like to hear from you, whether you run a small business or "
            "simply buy from one. Do you publish your prices, and what happened "
            "when you did? As a customer, does a missing price list put you "
            "off, or do you expect to ask? Tell me what you think in the "
            "comments."
        ),
        published_at="2026-07-02T09:00:00+00:00",
        tags=("pricing", "customers", "workshop"),
    ),
)

ARTICLE_SLUG: str = POSTS[-1].slug

ARTICLE_RESPONSES: tuple[DemoResponse, ...] = (
    DemoResponse(
        kind="comment",
        author_name="Dana Whitlock",
        body=(
            "Publish them. I'm the customer who put off framing my parents' "
            "wedding photo for two years because I assumed it would cost a "
            "fortune. When I finally came in, it cost less than a nice dinner "
            "out. Even a rough guide on the website would have got me through "
            "the door much sooner."
        ),
        minutes_after=12,
        author_email="dana.whitlock@example.org",
        author_url="https://danawhitlock.example.org",
    ),
    DemoResponse(
        kind="comment",
        author_name="Rafael Ortiz",
        body=(
            "I restore old furniture, and I went the other way. I had a price "
            "list on my site for about a year and then took it down. Every job "
            "that didn't fit the list started with me explaining why the number "
            "was different, and the customer was already suspicious before we'd "
            "talked about the piece at all.\n\n"
            "Worked examples sound better than a table, though. At least they "
            "show the range honestly."
        ),
        minutes_after=31,
        author_email="rafael.ortiz@example.net",
    ),
    DemoResponse(
        kind="comment",
        author_name="Ingrid Solberg",
        body=(
            "We added prices for our pottery classes last spring, so here are "
            "some numbers in case they help. Enquiries dropped by about a "
            "third, but bookings went up. The people who stopped asking were "
            "mostly the ones who would have said no anyway. For commissions we "
            "still quote one by one, with a line on the website saying roughly "
            "where they start."
        ),
        minutes_after=58,
        author_email="ingrid.solberg@example.com",
        author_url="https://solbergceramics.example.com",
        author_title="Owner, Solberg Ceramics Studio",
    ),
    DemoResponse(
        kind="comment",
        author_name="Mei Tanaka",
        body=(
            "Rafael, I see why you took yours down, but I think the problem was "
            "the table, not the publishing. If a list says exactly what's "
            'included, the conversation about an unusual job gets easier: "this '
            "one needs extra support, which the list doesn't cover.\" You have "
            "something to point to, instead of defending a number that seems to "
            "come out of nowhere."
        ),
        minutes_after=84,
        in_reply_to=2,
        author_email="mei.tanaka@example.net",
    ),
    DemoResponse(
        kind="comment",
        author_name="Owen Achterberg",
        body=(
            "As a customer: if there's no price anywhere, I assume I can't "
            "afford it. Every single time."
        ),
        minutes_after=119,
        author_email="owen.a@example.com",
    ),
    DemoResponse(
        kind="comment",
        author_name="Beatrice Nwosu",
        body=(
            "I run a small alterations and tailoring shop, and I've been on "
            "both sides of this, so forgive the long comment.\n\n"
            "For our first six years we had no prices anywhere. My reasoning "
            "was much like Jo's: no two garments are the same, a hem on a lined "
            "wool coat is nothing like a hem on jeans, and I didn't want to be "
            "held to a number that didn't fit the job. What I didn't see was "
            "how many people simply never came in. When we finally asked "
            "customers how they'd found us, nearly all of them had been sent by "
            "a friend who could tell them roughly what things cost. Word of "
            "mouth was doing the job a price list should have done, and it only "
            "reached people who already knew someone.\n\n"
            "Then we published a full list of about forty items, and that was a "
            "mistake in the other direction. People arrived with the list "
            "printed out and argued that their job was item 14 when it was "
            "plainly item 15 plus something else. The list became a contract in "
            "their minds, and every exception felt like a broken promise. We "
            "spent more time at the counter, not less.\n\n"
            "What finally worked is close to your worked-examples idea. We now "
            "show eight common jobs, each with a *from* price and a short "
            "sentence about what makes it cost more: linings, beading, stretch "
            "fabrics, rush orders. Underneath, the page says we will always "
            "give a written quote before starting, and that the quote is free. "
            "Arguments about price have almost disappeared, and new customers "
            "tell us the page is the reason they came.\n\n"
            "So my advice is to publish, but publish the reasoning along with "
            "the numbers. People don't mind paying more when they understand "
            "why. What they mind is being surprised."
        ),
        minutes_after=176,
        author_email="beatrice@example.org",
        author_url="https://nwosutailoring.example.org",
    ),
    DemoResponse(
        kind="comment",
        author_name="Callum Reyes",
        body=(
            "I'm with Dana on this. The two-in-the-morning point in the post is "
            "real: that's exactly when I'm comparing shops, and the ones "
            "without prices quietly drop off my list. I don't even phone them "
            "the next day."
        ),
        minutes_after=233,
        author_email="callum.reyes@example.com",
    ),
    DemoResponse(
        kind="comment",
        author_name="Leena Haroun",
        body=(
            "A counterpoint from someone who sells handmade jewellery: the week "
            "I put my prices online, I got *far* more messages asking for "
            "discounts. Hidden prices weren't all bad for me. I'm not saying "
            "don't do it, just be ready for that."
        ),
        minutes_after=301,
        author_email="leena.haroun@example.net",
        author_url="https://leenaharoun.example.net",
    ),
    DemoResponse(
        kind="comment",
        author_name="Gus Feldman",
        body=(
            "There's a good write-up on exactly this from a makers' network I "
            "belong to: [Showing prices without boxing yourself "
            "in](https://makersnetwork.example.org/articles/price-pages). The "
            "short version is that ranges with real examples work better than "
            "single numbers, which sounds a lot like what you're planning."
        ),
        minutes_after=412,
        author_email="gus.feldman@example.org",
    ),
    DemoResponse(
        kind="comment",
        author_name="Hugo Lindqvist",
        body=(
            "Ingrid, your numbers match what happened at our bike repair shop "
            "almost exactly: fewer emails, more actual bookings. The one thing "
            "I'd add is to date the page. When we raised prices, people with an "
            'old screenshot got upset, so now the page says "prices as of" with '
            "the month."
        ),
        minutes_after=538,
        in_reply_to=3,
        author_email="hugo.lindqvist@example.com",
        author_url="https://lindqvistcycles.example.com",
    ),
    DemoResponse(
        kind="comment",
        author_name="Noor Baptiste",
        body=(
            "Three worked examples with photos is a lovely idea. I'd enjoy "
            "reading those even if I didn't need a frame."
        ),
        minutes_after=697,
        author_email="noor.baptiste@example.org",
    ),
    DemoResponse(
        kind="comment",
        author_name="Wendell Park",
        body=(
            "I'll argue Jo's side, because someone should. The competition "
            "point is underrated. I run a print shop, and we published our "
            "rates; within a month the chain store across town had a sign in "
            "the window beating our most common job by exactly ten percent.\n\n"
            "Customers who value the relationship don't need a price list to "
            "find you. The ones who only care about price were never going to "
            "be yours."
        ),
        minutes_after=861,
        author_email="wendell.park@example.net",
        author_url="https://parkprintworks.example.net",
    ),
    DemoResponse(
        kind="comment",
        author_name="Yusuf Adeyemi",
        body=(
            "Beatrice, thank you for that comment. It's the most useful thing "
            "I've read on this all year. \"Publish the reasoning along with the "
            'numbers" is going on a sticky note above my desk.'
        ),
        minutes_after=1044,
        in_reply_to=6,
        author_email="yusuf.adeyemi@example.com",
    ),
    DemoResponse(
        kind="comment",
        author_name="Hollis Varga",
        body=(
            "Wendell and Leena, you've given Jo plenty of ammunition, and she "
            "has read every word. Mei and Beatrice, you've mostly convinced me "
            "that the real question is how a price page is written, not whether "
            "it exists. Hugo, dating the page is going straight on the to-do "
            "list. Thank you all, this is more than I hoped for."
        ),
        minutes_after=1290,
        author_email="hollis@example.com",
        author_url="https://vargaframing.example.com",
    ),
    DemoResponse(
        kind="comment",
        author_name="Marisol Quint",
        body=(
            "Honest question: would your examples include the mat and glass, or "
            'just the frame? I\'ve been caught out by "frames from" prices '
            "before, where the frame turned out to be the smallest part of the "
            "bill."
        ),
        minutes_after=1612,
        author_email="marisol.quint@example.net",
    ),
    DemoResponse(
        kind="comment",
        author_name="Theo Brandt",
        body=(
            "A middle ground from a sign-maker: we publish prices for the five "
            'things people order most and say "for anything else, just ask". '
            "About half our work is on the list and half isn't, and nobody "
            "seems confused by it. You don't have to choose between a full menu "
            "and nothing at all."
        ),
        minutes_after=1985,
        author_email="theo.brandt@example.org",
        author_url="https://brandtsigns.example.org",
    ),
    DemoResponse(
        kind="comment",
        author_name="Annika Rowe",
        body=(
            "Owen said it in one line, and I agree. No price reads as "
            "*expensive* to me. Looking forward to seeing which way you and Jo "
            "go."
        ),
        minutes_after=2370,
        author_email="annika.rowe@example.com",
    ),
    DemoResponse(
        kind="pingback",
        author_name="Workbench Notes",
        body=(
            "[…] a framer weighs up putting prices on the shop's website and "
            "lands, for now, on three worked examples with real photos and real "
            "totals, each saying plainly what pushes the price up or down […]"
        ),
        minutes_after=2795,
        source_url="https://workbenchnotes.example.net/2026/07/the-price-list-question",
        source_title="Workbench Notes — The Price List Question",
    ),
)

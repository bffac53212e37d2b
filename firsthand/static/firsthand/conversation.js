/* The thread and the comment form, enhanced (issue #6).
 *
 * Progressive enhancement: without this file every Reply link opens its own
 * page with the form, the server counts the characters and keeps the text of a
 * refused comment. This file adds, on the article page and the reply page:
 *   - replying in place (the form moves under the comment answered),
 *   - a Quote button on every comment,
 *   - a live character counter that counts as the server does,
 *   - "remember me" (kept in this browser's localStorage, never sent anywhere),
 *   - a draft kept in localStorage while the person types,
 *   - a suggestion to make a comment a reply when it seems to answer someone.
 * Plain ES2017, no libraries, no inline script (the CSP says script-src 'self').
 */
(function () {
  "use strict";

  /* --- Counting as the server does ------------------------------------------- */

  // firsthand/rendering.py clean_text: CRLF and CR become LF, then the characters
  // XML 1.0 forbids are dropped; rules.normalized then strips newlines at both
  // ends; Python's len() counts code points, as Array.from does. Lone surrogates
  // stay: the browser sends each as U+FFFD, one code point on the server as here.
  const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

  function serverLength(text) {
    const cleaned = text
      .replace(/\r\n?/g, "\n")
      .replace(XML_FORBIDDEN, "")
      .replace(/^\n+|\n+$/g, "");
    return Array.from(cleaned).length;
  }

  function plural(count, word) {
    return count.toLocaleString("en") + " " + word + (count === 1 ? "" : "s");
  }

  // Shows in ``counter`` how many characters ``body`` has left; returns the
  // function that updates it (called on every input).
  function attachCounter(body, counter, maxChars) {
    function update() {
      if (!counter || !(maxChars > 0)) {
        return;
      }
      const left = maxChars - serverLength(body.value);
      counter.hidden = body.value === "";
      counter.classList.toggle("over", left < 0);
      counter.textContent =
        left < 0
          ? plural(-left, "character") + " over the limit — shorten it before posting"
          : plural(left, "character") + " left";
    }
    if (counter) {
      counter.setAttribute("aria-live", "polite");
      if (!counter.id) {
        counter.id = "id_body_counter";
      }
      const described = (body.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(counter.id) === -1) {
        described.push(counter.id);
        body.setAttribute("aria-describedby", described.join(" "));
      }
    }
    return update;
  }

  // The page where a commenter edits their own comment has the counter only.
  const own = document.querySelector("form.own-form");
  if (own) {
    const ownBody = own.querySelector("#id_body");
    if (ownBody) {
      const update = attachCounter(
        ownBody,
        own.querySelector("[data-counter]"),
        parseInt(own.dataset.maxChars || "", 10)
      );
      ownBody.addEventListener("input", update);
      update();
    }
    return;
  }

  const form = document.querySelector("form#respond");
  if (!form) {
    return; // comments are closed: nothing to enhance
  }
  const body = form.querySelector("#id_body");
  const inReplyTo = form.querySelector('input[name="in_reply_to"]');
  const draftInput = form.querySelector('input[name="draft"]');
  const heading = form.querySelector("#respond-heading");
  const submit = form.querySelector('button[type="submit"]');
  const replying = form.querySelector("[data-replying]");
  const replyingLink = form.querySelector("[data-replying-link]");
  const cancelLink = form.querySelector("[data-cancel-reply]");
  const counter = form.querySelector("[data-counter]");
  const addressee = form.querySelector("[data-addressee]");
  const remember = form.querySelector("[data-remember]");
  const rememberBox = form.querySelector("#id_remember");
  if (!body || !inReplyTo || !heading || !submit || !replying || !replyingLink) {
    return;
  }

  const DRAFT_KEY = "firsthand:draft:" + (form.dataset.post || "");
  const COMMENTER_KEY = "firsthand:commenter";
  const POSTED_COOKIE = "firsthand_posted";
  const COMMENTER_FIELDS = ["author_name", "author_email", "author_url", "author_title"];
  const DRAFT_DELAY_MS = 400;
  const SUGGEST_DELAY_MS = 600;
  const SUGGEST_MIN_WORDS = 3;
  const SUGGEST_MAX_CHARS = 300;
  const maxChars = parseInt(form.dataset.maxChars || "", 10);
  // The post's address, from the "Write a new comment instead" link (post URL + #respond).
  const postUrl = cancelLink ? cancelLink.href.split("#")[0] : location.origin + location.pathname;
  // The reply page comes with its reply already chosen by the server: there the form
  // stays where it is, and "Write a new comment instead" is an ordinary link.
  const serverReply = inReplyTo.value !== "";
  const home = document.createComment("the comment form's own place");
  form.parentNode.insertBefore(home, form);
  const newTexts = {
    heading: serverReply ? "Join the conversation" : heading.textContent,
    submit: serverReply ? "Post comment" : submit.textContent,
  };

  /* --- Small helpers ---------------------------------------------------------- */

  // localStorage may be missing or refuse (private windows, full quota, disabled
  // storage): every feature then simply does nothing.
  function load(key) {
    try {
      const raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (error) {
      return null;
    }
  }

  function store(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      /* nothing kept: the form still works */
    }
  }

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      /* nothing to forget */
    }
  }

  function field(name) {
    return form.elements.namedItem(name);
  }

  function debounce(action, delay) {
    let timer = null;
    const wrapped = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(action, delay);
    };
    wrapped.flush = function () {
      if (timer !== null) {
        window.clearTimeout(timer);
        timer = null;
        action();
      }
    };
    return wrapped;
  }

  function readCookie(name) {
    const prefix = name + "=";
    const found = document.cookie.split("; ").find(function (part) {
      return part.indexOf(prefix) === 0;
    });
    return found ? decodeURIComponent(found.slice(prefix.length)) : null;
  }

  function randomId() {
    const bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function tell() {
    // Programmatic changes to the textarea update the counter and the draft too.
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  const updateCounter = attachCounter(body, counter, maxChars);

  /* --- Replying in place ----------------------------------------------------- */

  function responseItem(number) {
    const item = document.getElementById("comment-" + number);
    return item && item.matches("li.response") ? item : null;
  }

  function authorOf(item) {
    const name = item ? item.querySelector(":scope > article .p-name") : null;
    return name ? name.textContent.trim() : "";
  }

  // While replying, the textarea's description says to whom (read with its label).
  function describeReply(on) {
    replying.id = replying.id || "respond-replying";
    const ids = (body.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== replying.id;
    });
    if (on) {
      ids.unshift(replying.id);
    }
    if (ids.length) {
      body.setAttribute("aria-describedby", ids.join(" "));
    } else {
      body.removeAttribute("aria-describedby");
    }
  }

  function showReplying(number, name) {
    const label = "#" + number + (name ? " " + name : "");
    inReplyTo.value = String(number);
    replying.hidden = false;
    replyingLink.textContent = label;
    replyingLink.href = responseItem(number) ? "#comment-" + number : postUrl + "comments/" + number + "/";
    heading.textContent = "Reply to " + label;
    submit.textContent = "Post reply";
    describeReply(true);
    hideSuggestion();
  }

  // Everything the Reply link of #number would do: move the form under its
  // article (when the comment is on this page), say so, and put the cursor in.
  function startReply(number, name) {
    const item = responseItem(number);
    const article = item ? item.querySelector(":scope > article") : null;
    if (article) {
      article.after(form);
    }
    showReplying(number, name || authorOf(item));
    body.focus();
    saveDraft();
  }

  function cancelReply() {
    home.after(form);
    inReplyTo.value = "";
    replying.hidden = true;
    heading.textContent = newTexts.heading;
    submit.textContent = newTexts.submit;
    describeReply(false);
    body.focus();
    saveDraft();
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest ? event.target.closest("a.reply-link[data-reply-to]") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return; // a new tab or window still opens the reply page
    }
    event.preventDefault();
    startReply(parseInt(link.dataset.replyTo, 10), link.dataset.replyName || "");
  });

  if (cancelLink) {
    cancelLink.addEventListener("click", function (event) {
      if (serverReply) {
        // The reply page: go to the article, and take the text along as a new comment.
        inReplyTo.value = "";
        saveDraft();
        return;
      }
      event.preventDefault();
      cancelReply();
    });
  }

  /* --- Quoting ---------------------------------------------------------------- */

  // The response's permalink: this page's address (with ?page=N if any) and its
  // anchor; on the reply page, the address its number links to.
  function permalink(item) {
    const number = item.querySelector(":scope > article a.number");
    const href = number ? number.getAttribute("href") : "#" + item.id;
    const url = new URL(href || "#" + item.id, location.href);
    return url.origin + url.pathname + url.search + "#" + item.id;
  }

  function markdownLabel(text) {
    return text.replace(/([\\\[\]])/g, "\\$1");
  }

  // The reader's selection clipped to one response's text, or "" when there is none.
  function selectedText(content) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return "";
    }
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(content)) {
      return "";
    }
    if (content.contains(range.startContainer) && content.contains(range.endContainer)) {
      return selection.toString();
    }
    // A selection running past the response: keep only the part inside it, and
    // show the reader which part that is.
    const clipped = range.cloneRange();
    if (!content.contains(range.startContainer)) {
      clipped.setStart(content, 0);
    }
    if (!content.contains(range.endContainer)) {
      clipped.setEnd(content, content.childNodes.length);
    }
    selection.removeAllRanges();
    selection.addRange(clipped);
    return selection.toString();
  }

  function blockquote(text) {
    return text
      .replace(/\r\n?/g, "\n")
      .replace(/[ \t]+$/gm, "")
      .replace(/\n{3,}/g, "\n\n")
      .trim()
      .split("\n")
      .map(function (line) {
        return line ? "> " + line : ">";
      })
      .join("\n");
  }

  function insertAtCursor(text) {
    const start = body.selectionStart;
    const end = body.selectionEnd;
    const before = body.value.slice(0, start);
    const after = body.value.slice(end);
    // A quote is its own paragraph: a blank line before it, and one after it to type in.
    const lead = before === "" ? "" : before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
    const tail = after.startsWith("\n\n") ? "" : after.startsWith("\n") ? "\n" : "\n\n";
    body.focus();
    body.setRangeText(lead + text + tail, start, end, "end");
    tell();
  }

  function quote(item, content, captured) {
    const number = item.dataset.number || item.id.replace("comment-", "");
    const name = authorOf(item);
    const chosen = captured || selectedText(content);
    const text = chosen.trim() ? chosen : content.innerText;
    const source = "#" + number + (name ? " " + name : "");
    insertAtCursor(blockquote(text) + "\n> — [" + markdownLabel(source) + "](" + permalink(item) + ")");
  }

  function addQuoteButton(item) {
    const article = item.querySelector(":scope > article");
    const content = article ? article.querySelector(".e-content") : null;
    if (!content || item.classList.contains("response-link")) {
      return;
    }
    let actions = article.querySelector(":scope > .actions");
    if (!actions) {
      actions = document.createElement("p");
      actions.className = "actions";
      article.appendChild(actions);
    }
    const number = item.dataset.number || item.id.replace("comment-", "");
    const name = authorOf(item);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "quote";
    button.append("Quote");
    const more = document.createElement("span");
    more.className = "visually-hidden";
    more.textContent = " #" + number + (name ? " " + name : "") + " (the selected words, or all of it)";
    button.append(more);
    // Some browsers drop the selection when a button takes focus: read it first.
    let captured = "";
    button.addEventListener("pointerdown", function () {
      captured = selectedText(content);
    });
    button.addEventListener("click", function () {
      quote(item, content, captured);
      captured = "";
    });
    // Beside Reply, before the writer's own Edit and Withdraw.
    const reply = actions.querySelector(":scope > a.reply-link");
    if (reply) {
      reply.after(" ", button);
    } else {
      actions.prepend(button, " ");
    }
  }

  document
    .querySelectorAll("ol.thread:not(.pending):not(.links) li.response[id^='comment-']")
    .forEach(addQuoteButton);

  /* --- Remember me ------------------------------------------------------------ */

  function restoreCommenter() {
    if (!remember || !rememberBox) {
      return;
    }
    remember.hidden = false;
    const saved = load(COMMENTER_KEY);
    if (!saved) {
      return;
    }
    COMMENTER_FIELDS.forEach(function (name) {
      const input = field(name);
      if (input && !input.value && typeof saved[name] === "string") {
        input.value = saved[name];
      }
    });
    rememberBox.checked = true;
  }

  function keepCommenter() {
    if (!remember || !rememberBox) {
      return;
    }
    if (!rememberBox.checked) {
      forget(COMMENTER_KEY);
      return;
    }
    const saved = {};
    COMMENTER_FIELDS.forEach(function (name) {
      const input = field(name);
      saved[name] = input ? input.value.trim() : "";
    });
    store(COMMENTER_KEY, saved);
  }

  /* --- Drafts ----------------------------------------------------------------- */

  let draftId = "";

  function saveDraft() {
    if (!body.value.trim()) {
      forget(DRAFT_KEY);
      return;
    }
    const number = inReplyTo.value;
    store(DRAFT_KEY, {
      text: body.value,
      inReplyTo: number,
      replyName: number ? (replyingLink.textContent || "").replace(/^#\d+\s*/, "") : "",
      id: draftId,
      savedAt: Date.now(),
    });
  }

  const saveDraftSoon = debounce(saveDraft, DRAFT_DELAY_MS);

  function noteRestored() {
    const note = document.createElement("span");
    note.className = "restored";
    note.setAttribute("role", "status");
    note.append("Your unsent text was restored. ");
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link";
    discard.textContent = "Discard it";
    discard.addEventListener("click", function () {
      body.value = "";
      forget(DRAFT_KEY);
      if (!serverReply && inReplyTo.value) {
        cancelReply();
      }
      note.remove();
      tell();
      body.focus();
    });
    note.append(discard);
    (counter || body).after(note);
  }

  function restoreDraft() {
    const draft = load(DRAFT_KEY);
    if (!draft || typeof draft.text !== "string") {
      return;
    }
    // The server says this very draft was posted: it is a comment now.
    const posted = readCookie(POSTED_COOKIE);
    if (posted && draft.id && posted === draft.id) {
      forget(DRAFT_KEY);
      document.cookie = POSTED_COOKIE + "=; Max-Age=0; Path=/; SameSite=Lax";
      return;
    }
    draftId = draft.id || "";
    if (body.value.trim() || !draft.text.trim()) {
      return; // the page already holds text (a refused post): that one wins
    }
    body.value = draft.text;
    if (!serverReply && draft.inReplyTo && /^\d+$/.test(draft.inReplyTo)) {
      const number = parseInt(draft.inReplyTo, 10);
      const item = responseItem(number);
      const article = item ? item.querySelector(":scope > article") : null;
      if (article) {
        article.after(form);
      }
      showReplying(number, authorOf(item) || draft.replyName || "");
    }
    noteRestored();
  }

  /* --- Addressing suggestion -------------------------------------------------- */

  const declined = new Set();
  let lastQuery = "";
  let pending = null;

  function hideSuggestion() {
    if (addressee) {
      addressee.hidden = true;
      addressee.textContent = "";
    }
  }

  function showSuggestion(answer) {
    const name = answer.name || "";
    const number = parseInt(answer.number, 10);
    addressee.textContent = "";
    addressee.append("Are you answering " + name + " (");
    const link = document.createElement("a");
    link.href = responseItem(number) ? "#comment-" + number : answer.url || postUrl + "comments/" + number + "/";
    link.textContent = "#" + number;
    addressee.append(link, ")? ");
    if (answer.why) {
      const why = document.createElement("span");
      why.className = "why";
      why.textContent = answer.why + " ";
      addressee.append(why);
    }
    const yes = document.createElement("button");
    yes.type = "button";
    yes.textContent = "Make it a reply";
    yes.addEventListener("click", function () {
      hideSuggestion();
      startReply(number, name);
    });
    const no = document.createElement("button");
    no.type = "button";
    no.className = "secondary";
    no.textContent = "No";
    no.addEventListener("click", function () {
      declined.add(name);
      hideSuggestion();
      body.focus();
    });
    addressee.append(yes, " ", no);
    addressee.hidden = false;
  }

  function askAddressee() {
    const url = form.dataset.addresseeUrl;
    if (!addressee || !url || serverReply || inReplyTo.value || !window.fetch) {
      return;
    }
    const text = body.value.trim();
    if (text.split(/\s+/).length < SUGGEST_MIN_WORDS) {
      return;
    }
    const nameInput = field("author_name");
    const emailInput = field("author_email");
    const query = new URLSearchParams({
      text: Array.from(text).slice(0, SUGGEST_MAX_CHARS).join(""),
      name: nameInput ? nameInput.value : "",
      email: emailInput ? emailInput.value : "",
    }).toString();
    if (query === lastQuery) {
      return;
    }
    lastQuery = query;
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    const signal = pending.signal;
    fetch(url + "?" + query, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: signal,
    })
      .then(function (answer) {
        return answer.ok ? answer.json() : null;
      })
      .then(function (answer) {
        if (signal.aborted || answer === null || inReplyTo.value) {
          return;
        }
        if (answer && answer.number && !declined.has(answer.name || "")) {
          showSuggestion(answer);
        } else {
          hideSuggestion();
        }
      })
      .catch(function () {
        /* no suggestion: the person decides alone, as without script */
      });
  }

  const askAddresseeSoon = debounce(askAddressee, SUGGEST_DELAY_MS);

  /* --- Wiring ------------------------------------------------------------------ */

  body.addEventListener("input", function () {
    updateCounter();
    saveDraftSoon();
    askAddresseeSoon();
  });

  form.addEventListener("submit", function () {
    // The id comes back in the firsthand_posted cookie once the comment is stored.
    draftId = randomId();
    if (draftInput) {
      draftInput.value = draftId;
    }
    saveDraft();
    keepCommenter();
  });

  // A closing tab must not lose the last words typed.
  window.addEventListener("pagehide", saveDraftSoon.flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      saveDraftSoon.flush();
    }
  });

  if (serverReply) {
    describeReply(true);
  }
  restoreCommenter();
  restoreDraft();
  updateCounter();
})();

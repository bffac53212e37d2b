/* Keyboard shortcuts for the moderation queue.
 *
 * Progressive enhancement: every action is a plain form button that works
 * without this file. This file only adds keys (j k a s t r e x), a "tick all"
 * button, and brings focus back to the next item after an action reloads the page.
 */
(function () {
  "use strict";

  var queue = document.querySelector("[data-queue]");
  if (!queue) {
    return;
  }
  var items = Array.prototype.slice.call(queue.querySelectorAll(".queue-item"));

  // The hint and the "tick all" button only make sense with this file running.
  var hint = document.getElementById("shortcuts");
  if (hint) {
    hint.hidden = false;
  }
  var tickAll = document.querySelector("[data-select-all]");
  if (tickAll) {
    tickAll.hidden = false;
    tickAll.addEventListener("click", function () {
      var boxes = queue.querySelectorAll('input[name="ids"]');
      var all = Array.prototype.every.call(boxes, function (box) { return box.checked; });
      Array.prototype.forEach.call(boxes, function (box) { box.checked = !all; });
    });
  }

  function currentItem() {
    var active = document.activeElement;
    return active && active.closest ? active.closest(".queue-item") : null;
  }

  function focusItem(index) {
    if (!items.length) {
      return;
    }
    var item = items[Math.max(0, Math.min(index, items.length - 1))];
    item.focus();
    item.scrollIntoView({ block: "nearest" });
  }

  function isTyping(element) {
    if (!element) {
      return false;
    }
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") {
      return true;
    }
    if (element.tagName !== "INPUT") {
      return false;
    }
    var type = (element.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) === -1;
  }

  function openAndFocus(item, key) {
    var details = item.querySelector('details[data-key="' + key + '"]');
    if (!details) {
      return;
    }
    details.open = true;
    var field = details.querySelector("textarea");
    if (field) {
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);  // type on at the end
    }
  }

  // After an action the server redirects to the form's "next" address: aim it at
  // the item that will be under the moderator's eyes next, so that focus and
  // scroll come back there (the acted-on item usually leaves the queue).
  queue.addEventListener("submit", function (event) {
    var form = event.target;
    var item = form.closest(".queue-item");
    var next = form.querySelector('input[name="next"]');
    if (!item || !next) {
      return;
    }
    var stays = event.submitter && event.submitter.hasAttribute("data-stays");
    var index = items.indexOf(item);
    var target = stays ? item : items[index + 1] || items[index - 1];
    var base = next.value.split("#")[0];
    next.value = target ? base + "#" + target.id : base;
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var item = currentItem();
    if (isTyping(event.target)) {
      if (event.key === "Escape" && item) {
        item.focus();  // leave the field, stay on the item
      }
      return;
    }
    var index = items.indexOf(item);
    var control;
    switch (event.key) {
      case "j":
        focusItem(index === -1 ? 0 : index + 1);
        break;
      case "k":
        focusItem(index === -1 ? 0 : index - 1);
        break;
      case "a":
      case "s":
      case "t":
      case "x":
        if (!item) {
          return;
        }
        control = item.querySelector('[data-key="' + event.key + '"]');
        if (!control) {
          return;
        }
        control.click();
        break;
      case "r":
      case "e":
        if (!item) {
          return;
        }
        openAndFocus(item, event.key);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // Back from an action: focus the item the address names.
  if (location.hash) {
    var target = document.getElementById(location.hash.slice(1));
    if (target && items.indexOf(target) !== -1) {
      target.focus();
    }
  }
})();

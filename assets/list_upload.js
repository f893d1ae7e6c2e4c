/* The list upload on /lists: drag and drop (or pick) one file, send it to the upload route with
   XMLHttpRequest (the file as the request body, streamed; progress from upload.onprogress), then
   hand the route's JSON answer to Dash (set_props on the store "lists-uploaded"), whose callback
   shows the result. Every visible text comes from data-* attributes the page renders from the
   translation table. The page may be rendered again by Dash at any time, so the listeners are
   delegated from the document and look the elements up each time. */
(function () {
    "use strict";
    var busy = false;

    function zone() { return document.getElementById("lists-drop"); }
    function byId(id) { return document.getElementById(id); }

    function say(text, tone) {
        var status = byId("lists-upload-status");
        if (!status) { return; }
        status.textContent = text || "";
        status.className = "list-upload-status" + (tone ? " text-" + tone : "");
    }

    function progress(fraction) {
        var wrap = byId("lists-progress");
        var bar = byId("lists-progress-bar");
        if (!wrap || !bar) { return; }
        if (fraction === null) {
            wrap.classList.add("d-none");
            return;
        }
        var percent = Math.max(0, Math.min(100, Math.round(fraction * 100)));
        wrap.classList.remove("d-none");
        bar.style.width = percent + "%";
        bar.setAttribute("aria-valuenow", String(percent));
        return percent;
    }

    function publish(answer) {
        if (window.dash_clientside && window.dash_clientside.set_props) {
            answer.received = Date.now();  // a new value even when the same answer comes twice
            window.dash_clientside.set_props("lists-uploaded", {data: answer});
        }
    }

    function send(file) {
        var drop = zone();
        if (!drop || !file) { return; }
        if (busy) { say(drop.dataset.oneFile, "warning"); return; }
        var picker = byId("lists-akimat");
        var akimat = picker ? picker.value : "";
        if (!akimat) { say(drop.dataset.pickAkimat, "danger"); return; }
        var limit = parseInt(drop.dataset.maxBytes, 10);
        if (limit && file.size > limit) {
            say(drop.dataset.tooLarge, "danger");
            publish({error: drop.dataset.tooLarge, error_code: "file_too_large", http_status: 413});
            return;
        }
        busy = true;
        drop.classList.add("is-busy");
        var sending = drop.dataset.sending.replace("{name}", file.name);
        say(sending, "");
        progress(0);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", drop.dataset.url + "?akimat=" + encodeURIComponent(akimat));
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
        xhr.upload.onprogress = function (event) {
            if (event.lengthComputable) { say(sending + " — " + progress(event.loaded / event.total) + "%", ""); }
        };
        xhr.upload.onload = function () {
            progress(1);
            say(drop.dataset.checking, "");
        };
        xhr.onload = function () {
            busy = false;
            drop.classList.remove("is-busy");
            var answer = null;
            try { answer = JSON.parse(xhr.responseText); } catch (ignored) { answer = null; }
            if (!answer || typeof answer !== "object") {
                answer = {error: drop.dataset.failed + " (HTTP " + xhr.status + ")"};
            }
            answer.http_status = xhr.status;
            progress(null);
            say("", "");
            publish(answer);
        };
        xhr.onerror = xhr.onabort = function () {
            busy = false;
            drop.classList.remove("is-busy");
            progress(null);
            say(drop.dataset.failed, "danger");
        };
        xhr.send(file);
    }

    /* The file input lives outside the Dash tree (Dash has no file input but dcc.Upload, which
       reads the whole file into the browser's memory as base64): one hidden input, made once. */
    function fileInput() {
        var input = byId("lists-file");
        if (!input) {
            input = document.createElement("input");
            input.type = "file";
            input.id = "lists-file";
            input.className = "d-none";
            input.addEventListener("change", function () {
                if (input.files && input.files.length) { send(input.files[0]); }
                input.value = "";  // the same file can be chosen again
            });
            document.body.appendChild(input);
        }
        var drop = zone();
        if (drop && drop.dataset.accept) { input.accept = drop.dataset.accept; }
        return input;
    }

    function choose() {
        if (!busy) { fileInput().click(); }
    }

    if (document.body) { fileInput(); } else { document.addEventListener("DOMContentLoaded", fileInput); }

    document.addEventListener("click", function (event) {
        var drop = zone();
        if (drop && drop.contains(event.target)) { choose(); }
    });

    document.addEventListener("keydown", function (event) {
        var drop = zone();
        if (drop && event.target === drop && (event.key === "Enter" || event.key === " ")) {
            event.preventDefault();
            choose();
        }
    });

    ["dragenter", "dragover"].forEach(function (name) {
        document.addEventListener(name, function (event) {
            var drop = zone();
            if (drop && drop.contains(event.target)) {
                event.preventDefault();
                drop.classList.add("is-over");
            }
        });
    });

    document.addEventListener("dragleave", function (event) {
        var drop = zone();
        if (drop && event.target === drop) { drop.classList.remove("is-over"); }
    });

    document.addEventListener("drop", function (event) {
        var drop = zone();
        if (!drop || !drop.contains(event.target)) { return; }
        event.preventDefault();
        drop.classList.remove("is-over");
        var files = event.dataTransfer && event.dataTransfer.files;
        if (!files || !files.length) { return; }
        if (files.length > 1) { say(drop.dataset.oneFile, "warning"); return; }
        send(files[0]);
    });
}());

/* A callback that fails on the server (500 with an incident id, 503 when the database is away)
   would otherwise leave the page silently unchanged: show the server's message, which names the
   incident id and never contains a stack trace, in a small banner. */
(function () {
    if (!window.fetch || window.ktkErrorBanner) { return; }
    var original = window.fetch;

    function show(text) {
        var box = document.getElementById("ktk-error-banner");
        if (!box) {
            box = document.createElement("div");
            box.id = "ktk-error-banner";
            box.className = "alert alert-danger shadow ktk-error-banner";
            box.setAttribute("role", "alert");
            var message = document.createElement("span");
            message.className = "ktk-error-text";
            var close = document.createElement("button");
            close.type = "button";
            close.className = "btn-close ms-3";
            close.setAttribute("aria-label", "×");
            close.addEventListener("click", function () { box.remove(); });
            box.appendChild(message);
            box.appendChild(close);
            document.body.appendChild(box);
        }
        box.querySelector(".ktk-error-text").textContent = text;
    }

    window.ktkErrorBanner = show;
    window.fetch = function (input) {
        return original.apply(this, arguments).then(function (response) {
            var url = typeof input === "string" ? input : (input && input.url) || "";
            if (response.status >= 500 && url.indexOf("_dash-update-component") !== -1) {
                response.clone().json().then(function (body) {
                    var text = body && (body.message || body.error);
                    if (typeof text === "string" && text) { show(text); }
                }).catch(function () { /* not JSON: nothing better to show */ });
            }
            return response;
        });
    };
}());

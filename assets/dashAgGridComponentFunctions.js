/* Cell renderers for dash-ag-grid (served locally from assets/). Each grid names one in its
   columnDefs as cellRenderer: "<Name>". Add renderers to the shared object; never replace it. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

/* The status as the coloured pill of callbacks/ui.py status_badge (row data: status, status_color). */
dagcomponentfuncs.KtkStatusBadge = function (props) {
    if (!props.data || props.value === undefined || props.value === null || props.value === "") {
        return null;
    }
    var color = String(props.data.status_color || "slate").replace(/[^a-z]/g, "");
    return React.createElement("span", {className: "status-badge status-" + color, title: props.value}, props.value);
};

// reportkit: the theme scrolls the navigation to the current page whenever its entry lies in the
// lower half of the window, even when the entry is in view; with the programmes chapter opened
// out, that hid the report's title at the top of the sidebar under the page header. Once the page
// has loaded, scroll the navigation back to its top when the current entry is in view from there.
window.addEventListener("load", () => {
  const sidebar = document.querySelector("div.bd-sidebar");
  const nav = document.querySelector(".bd-docs-nav");
  if (!sidebar || !nav || sidebar.scrollTop === 0) return;
  const active = nav.querySelectorAll("li.active > a");
  if (!active.length) return;
  const bottom = active[active.length - 1].getBoundingClientRect().bottom + sidebar.scrollTop;
  if (bottom <= Math.min(window.innerHeight, sidebar.getBoundingClientRect().bottom)) sidebar.scrollTop = 0;
});

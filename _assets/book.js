// Click a figure to see it at full size: each figure a cell drew opens as its own image (works offline).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".cell_output img, figure img").forEach((img) => {
    if (img.closest("a")) return;
    const a = document.createElement("a");
    a.href = img.currentSrc || img.src;
    a.className = "figure-enlarge";
    a.title = "Open the figure at full size";
    img.replaceWith(a);
    a.appendChild(img);
  });
});

"""A deterministic corpus of realistic Vietnamese news for benchmarks.

    python benchmarks/corpus.py N OUTPUT_FOLDER [--seed 1]

writes a complete site folder (``site.toml`` + ``content/``) with N articles of 300–1,200 words
(headings, lists, links to other articles, front matter with categories and tags), a few
campaigns the articles join, a handful of pages, and three photo albums of three web-sized
photos each (640×480 JPEG: the albums' pages, strip and pictures are built, while the cost
of encoding large photos is measured apart, by ``images.py``). The same N and seed always give
the same bytes (the photos: with the same Pillow), so timings compare like with like.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

CATEGORIES = ["Tin hoạt động", "Cải cách hành chính", "Kinh tế - Xã hội", "Văn hóa - Thể thao",
              "Thông báo", "Quốc phòng - An ninh"]
TAGS = ["cải cách hành chính", "chuyển đổi số", "nông thôn mới", "y tế", "giáo dục",
        "an toàn giao thông", "phòng chống thiên tai", "thi đua khen thưởng", "đất đai",
        "môi trường", "du lịch", "nông nghiệp", "thanh long", "lúa gạo", "hạn mặn",
        "dịch vụ công trực tuyến", "an sinh xã hội", "đầu tư công", "văn hóa", "thể thao",
        "quốc phòng", "dân số", "bảo hiểm y tế", "đường giao thông nông thôn", "điện lực"]
SUBJECTS = ["Ủy ban nhân dân huyện", "Hội đồng nhân dân xã", "Ban Chỉ đạo", "Phòng Nội vụ",
            "Phòng Tài chính - Kế hoạch", "Trung tâm Y tế huyện", "Đoàn Thanh niên",
            "Hội Nông dân", "Mặt trận Tổ quốc", "Công an huyện", "Ban Quản lý dự án",
            "Phòng Giáo dục và Đào tạo", "Đội Quản lý thị trường", "Chi cục Thuế khu vực"]
VERBS = ["triển khai", "tổ chức", "phát động", "kiểm tra", "đánh giá", "tổng kết",
         "hướng dẫn", "đẩy mạnh", "tăng cường", "rà soát", "phối hợp thực hiện",
         "đôn đốc", "ban hành", "công bố", "tập huấn"]
OBJECTS = ["kế hoạch cải cách hành chính", "chương trình xây dựng nông thôn mới",
           "phong trào thi đua yêu nước", "công tác phòng, chống dịch bệnh",
           "nhiệm vụ phát triển kinh tế - xã hội", "dịch vụ công trực tuyến toàn trình",
           "công tác bảo đảm trật tự an toàn giao thông", "mô hình sản xuất lúa chất lượng cao",
           "dự án nâng cấp đường giao thông nông thôn", "công tác chuyển đổi số",
           "chính sách hỗ trợ hộ nghèo, hộ cận nghèo", "kế hoạch phòng, chống hạn mặn",
           "công tác tuyển sinh đầu cấp", "việc cấp giấy chứng nhận quyền sử dụng đất"]
PLACES = ["trên địa bàn huyện", "tại các xã, thị trấn", "ở khu vực nông thôn",
          "tại Bộ phận Một cửa", "trong toàn huyện", "ở các ấp, khu phố", "tại trụ sở xã"]
TAILS = ["nhằm nâng cao chất lượng phục vụ người dân và doanh nghiệp",
         "góp phần hoàn thành các chỉ tiêu năm", "theo đúng tiến độ đề ra",
         "với sự tham gia của đông đảo cán bộ và nhân dân",
         "bảo đảm công khai, minh bạch", "đạt nhiều kết quả tích cực",
         "tạo chuyển biến rõ nét trong nhận thức và hành động"]
NUMBERS = ["12", "25", "48", "106", "1.250", "3.400", "95%", "87,5%", "hơn 2.000", "gần 600"]


@dataclass(frozen=True)
class Corpus:
    folder: Path
    articles: int
    campaign_slugs: tuple[str, ...]


def sentence(rng: random.Random) -> str:
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)}"
    if rng.random() < 0.5:
        text += f", {rng.choice(TAILS)}"
    if rng.random() < 0.3:
        text += f"; đến nay đã có {rng.choice(NUMBERS)} hồ sơ, lượt người tham gia"
    return text + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def article_body(rng: random.Random, index: int, total: int, words: int) -> str:
    parts = [paragraph(rng, 2)]
    count = len(parts[0].split())
    section = 0
    while count < words:
        roll = rng.random()
        if roll < 0.12:
            section += 1
            parts.append(f"## {rng.choice(VERBS).capitalize()} {rng.choice(OBJECTS)}")
        elif roll < 0.22:
            items = [f"- {rng.choice(VERBS).capitalize()} {rng.choice(OBJECTS)} "
                     f"{rng.choice(PLACES)};" for _ in range(rng.randint(3, 6))]
            parts.append("\n".join(items))
            count += sum(len(i.split()) for i in items)
            continue
        elif roll < 0.27 and total > 1:
            other = rng.randrange(total)
            if other != index:
                parts.append(f"Xem thêm: [bài liên quan](bai-{other:06d}.md).")
        text = paragraph(rng, rng.randint(3, 6))
        parts.append(text)
        count += len(text.split())
    return "\n\n".join(parts) + "\n"


def write_corpus(count: int, folder: Path, seed: int = 1) -> Corpus:
    rng = random.Random(seed)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "content/articles").mkdir(parents=True)
    (folder / "content/pages").mkdir(parents=True)
    (folder / "content/campaigns").mkdir(parents=True)
    categories = "\n".join(f'[[categories]]\nname = "{c}"\n' for c in CATEGORIES)
    (folder / "site.toml").write_text(
        'title = "Cổng thông tin điện tử huyện Mẫu"\n'
        'base_url = "https://mau.example.gov.vn/"\n'
        "page_size = 10\n\n"
        '[body]\nname = "Ủy ban nhân dân huyện Mẫu"\nparent = "Tỉnh Mẫu"\n\n'
        '[contact]\naddress = "Số 1, đường Trung tâm, thị trấn Mẫu"\n'
        'email = "vanphong@mau.example.gov.vn"\n\n'
        '[[menu]]\nlabel = "Tin tức"\nurl = "/tin-tuc/"\n\n' + categories,
        encoding="utf-8")
    campaigns = []
    start = date(2015, 1, 1)
    for number in range(max(3, count // 2000)):
        slug = f"chuyen-de-{number:03d}"
        begin = start + timedelta(days=number * 120)
        (folder / f"content/campaigns/{slug}.md").write_text(
            f"---\ntitle: Chuyên đề thi đua số {number + 1}\nkind: Chuyên đề thi đua\n"
            f"organizer: Ủy ban nhân dân huyện Mẫu\nstart: {begin.isoformat()}\n"
            f"end: {(begin + timedelta(days=200)).isoformat()}\n"
            f"criteria: [Cải cách thể chế, Cải cách thủ tục hành chính]\n---\n\n"
            f"{paragraph(rng, 3)}\n", encoding="utf-8")
        campaigns.append(slug)
    for page in ("gioi-thieu", "lien-he", "so-do-to-chuc"):
        (folder / f"content/pages/{page}.md").write_text(
            f"---\ntitle: {page.replace('-', ' ').capitalize()}\n---\n\n"
            f"{paragraph(rng, 4)}\n\n{paragraph(rng, 4)}\n", encoding="utf-8")
    days = 365 * 10
    for index in range(count):
        day = start + timedelta(days=(index * days) // max(count, 1))
        title = (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                 f"{rng.choice(PLACES)} (số {index})")
        tags = rng.sample(TAGS, rng.randint(1, 3))
        front = [
            f"title: \"{title}\"",
            f"date: {day.isoformat()} {rng.randint(7, 17):02d}:{rng.choice(['00', '15', '30'])}",
            f"author: {rng.choice(['Ngọc Xuyên', 'Minh Tâm', 'Thanh Hà', 'Văn Đức', 'Thu Trang'])}",
            f"category: {rng.choice(CATEGORIES)}",
            f"tags: [{', '.join(tags)}]",
        ]
        if rng.random() < 0.05:
            front.append(f"campaign: {rng.choice(campaigns)}")
        if rng.random() < 0.02:
            front.append("featured: true")
        body = article_body(rng, index, count, rng.randint(300, 1200))
        (folder / f"content/articles/bai-{index:06d}.md").write_text(
            "---\n" + "\n".join(front) + "\n---\n\n" + body, encoding="utf-8")
    write_albums(folder / "content/albums", random.Random(seed + 1), start + timedelta(days=days))
    return Corpus(folder, count, tuple(campaigns))


ALBUMS = 3
PHOTOS = 3
PHOTO_SIZE = (640, 480)


def write_albums(albums: Path, rng: random.Random, latest: date) -> None:
    """Albums of generated photos, dated in the archive's last months (the home page's strip
    shows them). Their own random stream: the articles are the same with or without them."""
    for number in range(ALBUMS):
        folder = albums / f"album-{number + 1:02d}"
        folder.mkdir(parents=True)
        photos = []
        for index in range(PHOTOS):
            name = f"anh-{index + 1:02d}.jpg"
            (folder / name).write_bytes(photo(rng))
            photos.append(f"  - file: {name}\n    caption: \"{paragraph(rng, 1)}\"")
        when = latest - timedelta(days=30 * (number + 1))
        (folder / "index.md").write_text(
            f"---\ntitle: \"Hình ảnh {rng.choice(OBJECTS)} (số {number + 1})\"\n"
            f"date: {when.isoformat()}\nphotos:\n" + "\n".join(photos) + "\n---\n\n"
            f"{paragraph(rng, 2)}\n", encoding="utf-8")


def photo(rng: random.Random) -> bytes:
    """A JPEG of coloured shapes: deterministic, and as costly to encode as a photo's size."""
    # Imported here: only album photos need Pillow, which the publisher installs anyway.
    from PIL import Image, ImageDraw

    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.ellipse([x, y, x + rng.randint(20, 200), y + rng.randint(20, 150)],
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    return data.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    corpus = write_corpus(args.count, args.folder, args.seed)
    print(f"{corpus.articles} articles, {len(corpus.campaign_slugs)} campaigns → {corpus.folder}")


if __name__ == "__main__":
    main()
